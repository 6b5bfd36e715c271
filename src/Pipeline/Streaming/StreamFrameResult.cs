using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// One generated frame. <see cref="Output"/> points into the stream's encoder buffer and stays
/// valid until the stream's next call; copy it to keep it longer.
/// </summary>
/// <param name="Output">Encoded frame.</param>
/// <param name="Skipped">True when the similarity filter skipped the input and the previous output was returned.</param>
/// <param name="Timings">Per-stage timings.</param>
public readonly record struct StreamFrameResult(EncodedFrame Output, bool Skipped, StreamFrameTimings Timings);
