namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>A prompt that takes over from output frame <paramref name="StartFrame"/> on (prompt travel).</summary>
/// <param name="StartFrame">First frame (0-based) the prompt is fully in effect for.</param>
/// <param name="Text">The prompt.</param>
public readonly record struct VideoPromptKeyframe(long StartFrame, string Text);
