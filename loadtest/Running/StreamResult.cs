namespace StreamDiffusion.LoadTest.Running;

/// <summary>What happened to one stream over the run: its calls, and exactly which frames were lost or not sent.</summary>
/// <param name="Index">Stream number (0-based).</param>
/// <param name="FrameSlots">Frames the stream was due to send over the run (one per frame interval).</param>
/// <param name="Sent">Frames sent.</param>
/// <param name="Answered">Frames answered.</param>
/// <param name="Lost">Frames sent and never answered (their call ended first), as sequence ranges.</param>
/// <param name="Unsent">Frame slots not sent: while reconnecting, or with too many frames unanswered.</param>
/// <param name="Calls">Every call, in order.</param>
/// <param name="ReconnectMs">For each reconnect, the time from the end of a failed call to SessionStarted on the next.</param>
/// <param name="Transport">How the stream reached the host: "grpc" or "websocket".</param>
public sealed record StreamResult(
    int Index,
    long FrameSlots,
    long Sent,
    long Answered,
    IReadOnlyList<SequenceRange> Lost,
    IReadOnlyList<SequenceRange> Unsent,
    IReadOnlyList<CallRecord> Calls,
    IReadOnlyList<double> ReconnectMs,
    string Transport = "grpc")
{
    /// <summary>Frames lost in flight.</summary>
    public long LostCount => Lost.Sum(r => r.Count);

    /// <summary>Frame slots not sent.</summary>
    public long UnsentCount => Unsent.Sum(r => r.Count);
}
