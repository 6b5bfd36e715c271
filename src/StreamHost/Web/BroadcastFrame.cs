using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>What <see cref="FrameBroadcaster.CopyLatest"/> copied.</summary>
/// <param name="Version">Frame number (0: nothing published yet).</param>
/// <param name="Length">Bytes copied.</param>
/// <param name="Format">Layout of the copied bytes (JPEG, PNG or RGB24).</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct BroadcastFrame(long Version, int Length, FrameFormat Format, int Width, int Height);
