namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>A prompt with its weight in a blend (slerp for two, normalized weighted sum otherwise).</summary>
public readonly record struct WeightedPrompt(string Text, float Weight);
