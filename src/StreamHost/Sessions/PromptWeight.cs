namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>One validated prompt of a blend.</summary>
/// <param name="Text">Prompt text.</param>
/// <param name="Weight">Relative weight, finite and non-negative.</param>
public sealed record PromptWeight(string Text, float Weight);
