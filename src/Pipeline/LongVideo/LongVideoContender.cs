namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>One way of making consecutive frames that <see cref="LongVideoBenchmark"/> compares.</summary>
/// <param name="Name">Short name for the report ("independent", "fifo", "fifo+lookahead", ...).</param>
/// <param name="Independent">Every frame sampled on its own from fresh noise (no queue).</param>
/// <param name="Lookahead">FIFO with lookahead windows.</param>
/// <param name="CoherentTail">FIFO with Ouroboros-style coherent tail sampling.</param>
public readonly record struct LongVideoContender(string Name, bool Independent, bool Lookahead, bool CoherentTail)
{
    /// <summary>The contenders the issue asks for, cheapest first (guidance is not one: see docs/long-video.md).</summary>
    public static IReadOnlyList<LongVideoContender> All { get; } =
    [
        new("independent", true, false, false),
        new("fifo", false, false, false),
        new("fifo+lookahead", false, true, false),
        new("fifo+tail", false, false, true),
        new("fifo+lookahead+tail", false, true, true),
    ];
}
