using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// An input frame that passed edge validation. <see cref="Data"/> is only valid during the
/// <see cref="IStreamProcessor.ProcessAsync"/> call that receives it.
/// </summary>
/// <param name="Data">JPEG/PNG file bytes or raw pixels (stride * height bytes); empty for a txt2img tick.</param>
/// <param name="Format">Pixel layout.</param>
/// <param name="Width">Width in pixels (0 for JPEG/PNG when the client left it to the file).</param>
/// <param name="Height">Height in pixels (0 for JPEG/PNG when the client left it to the file).</param>
/// <param name="Stride">Bytes per row for raw formats (already defaulted to 3 * width); 0 otherwise.</param>
/// <param name="Sequence">Client sequence number.</param>
public readonly record struct FrameInput(
    ReadOnlyMemory<byte> Data, FrameFormat Format, int Width, int Height, int Stride, ulong Sequence);
