using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// The output of one <see cref="IStreamProcessor.ProcessAsync"/> call. <see cref="Data"/> may point into a buffer the
/// processor owns and reuses: the session sends it before calling the processor again.
/// </summary>
/// <param name="Data">Encoded (or raw RGB24) output image.</param>
/// <param name="Format">Layout of <see cref="Data"/>.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Skipped">The similarity filter skipped the frame and <see cref="Data"/> is the previous output.</param>
/// <param name="DecodeMs">Time spent decoding and resizing the input, milliseconds.</param>
/// <param name="DenoiseMs">Time spent in diffusion (VAE, UNet, waiting for the batching engine), milliseconds.</param>
/// <param name="EncodeMs">Time spent encoding the output, milliseconds.</param>
public readonly record struct ProcessedFrame(
    ReadOnlyMemory<byte> Data,
    FrameFormat Format,
    int Width,
    int Height,
    bool Skipped,
    double DecodeMs,
    double DenoiseMs,
    double EncodeMs);
