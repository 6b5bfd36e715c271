namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>One prompt embedding of a weighted prompt blend.</summary>
/// <param name="Embedding">Flattened text embedding [tokens, D] (the text encoder's last_hidden_state for one prompt).</param>
/// <param name="Weight">Relative weight, ≥ 0.</param>
public readonly record struct WeightedEmbedding(float[] Embedding, float Weight);
