namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Encodes <paramref name="batch"/> padded id rows ([batch,77]) into [batch,77,D] embeddings; the
/// shape of <see cref="Models.TextEncoderModel.Encode"/>, so other encoders (and test probes) can
/// sit behind a <see cref="TextEncoderEngine"/>.
/// </summary>
public delegate void TextEncodeFunction(ReadOnlySpan<long> ids, int batch, Span<float> embeddings);
