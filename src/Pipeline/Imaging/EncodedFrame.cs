namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// An encoded frame produced by <see cref="FrameEncoder"/>. <see cref="Data"/> points into the
/// encoder's reusable buffer and stays valid only until the encoder's next call.
/// </summary>
/// <param name="Data">Encoded bytes (JPEG / PNG file or raw rows).</param>
/// <param name="Descriptor">Format and geometry (raw frames: packed stride width·3).</param>
public readonly record struct EncodedFrame(ReadOnlyMemory<byte> Data, FrameDescriptor Descriptor);
