namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>What a <see cref="VideoGeneration"/> produced.</summary>
/// <param name="Frames">Frames received (and written), in order from 0.</param>
/// <param name="Width">Frame width (0 when none arrived).</param>
/// <param name="Height">Frame height (0 when none arrived).</param>
/// <param name="Seconds">Duration of the call.</param>
/// <param name="SessionId">The host's session id (null when no frame arrived).</param>
/// <param name="PromptChanges">Live prompt changes the host accepted.</param>
public readonly record struct VideoSummary(long Frames, int Width, int Height, double Seconds, string? SessionId, int PromptChanges)
{
    /// <summary>Frames per second over the whole call (start-up included).</summary>
    public double FramesPerSecond => Seconds > 0 ? Frames / Seconds : 0;
}
