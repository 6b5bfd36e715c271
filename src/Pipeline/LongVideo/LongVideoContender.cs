namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>One way of making consecutive frames that <see cref="LongVideoBenchmark"/> compares.</summary>
/// <param name="Name">Short name for the report ("independent", "fifo", "fifo+lookahead", ...).</param>
/// <param name="Independent">Every frame sampled on its own from fresh noise (no queue).</param>
/// <param name="Lookahead">FIFO with lookahead windows.</param>
/// <param name="CoherentTail">FIFO with Ouroboros-style coherent tail sampling.</param>
/// <param name="Guidance">FIFO with subject memory and self-recurrent guidance.</param>
public readonly record struct LongVideoContender(string Name, bool Independent, bool Lookahead, bool CoherentTail, bool Guidance = false)
{
    /// <summary>The contenders the issue asks for, cheapest first; each "+" adds one technique.</summary>
    public static IReadOnlyList<LongVideoContender> All { get; } =
    [
        new("independent", true, false, false),
        new("fifo", false, false, false),
        new("fifo+lookahead", false, true, false),
        new("fifo+tail", false, false, true),
        new("fifo+lookahead+tail", false, true, true),
        new("fifo+tail+guidance", false, false, true, true),
    ];
}
