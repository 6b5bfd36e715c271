using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Reporting;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>
/// Live counters of a running stream, updated by the session's send and receive loops and read by the console
/// line from another thread.
/// </summary>
public sealed class StreamProgress
{
    private long _sent;
    private long _received;
    private long _skipped;
    private long _dropped;
    private long _failed;
    private long _controls;
    private long _written;
    private SessionStats? _serverStats;

    /// <summary>Frames sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Responses that carried an image (processed or skipped by the similarity filter).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Responses the similarity filter skipped (the previous output again; included in <see cref="Received"/>).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Frames the host dropped unprocessed because newer ones arrived while it was busy.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames that failed (invalid input or a processing error).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Responses of any kind: received + dropped + failed.</summary>
    public long Answered => Received + Dropped + Failed;

    /// <summary>Control messages (prompt changes) sent.</summary>
    public long ControlsSent => Interlocked.Read(ref _controls);

    /// <summary>Images handed to the sink.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Round-trip latencies of received frames.</summary>
    public LatencyReport Latency { get; } = new();

    /// <summary>The host's most recent session statistics (periodic, then final), or null before the first.</summary>
    public SessionStats? ServerStats => Volatile.Read(ref _serverStats);

    internal void OnSent() => Interlocked.Increment(ref _sent);

    internal void OnControl() => Interlocked.Increment(ref _controls);

    internal void OnWritten() => Interlocked.Increment(ref _written);

    internal void OnStats(SessionStats stats) => Volatile.Write(ref _serverStats, stats);

    internal void OnFrame(OutputFrame frame)
    {
        if (frame.Error is not null)
        {
            Interlocked.Increment(ref _failed);
        }
        else if (frame.Dropped)
        {
            Interlocked.Increment(ref _dropped);
        }
        else
        {
            if (frame.Skipped)
            {
                Interlocked.Increment(ref _skipped);
            }

            Interlocked.Increment(ref _received);
        }
    }
}
