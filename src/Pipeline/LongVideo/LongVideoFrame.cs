namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>What <see cref="LongVideoGenerator.NextFrameAsync"/> produced.</summary>
/// <param name="Index">0-based output frame index.</param>
/// <param name="Prompt">The prompt in effect for the frame (the newest one blended into it).</param>
/// <param name="DenoiseMs">Time in the denoiser iteration.</param>
/// <param name="DecodeMs">Time decoding the head latent.</param>
public readonly record struct LongVideoFrame(long Index, string Prompt, double DenoiseMs, double DecodeMs);
