using System.Diagnostics;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// A Stream session's frame counts and latencies: totals for its life and for the current stats interval, turned
/// into <see cref="SessionStats"/> messages. Frames in are counted by the reader; everything else by the session
/// loop.
/// </summary>
internal sealed class SessionStatistics
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _framesIn;
    private long _framesOut;
    private long _framesSkipped;
    private long _framesDropped;
    private long _framesDroppedFpsCap;
    private long _framesFailed;
    private double _latencySumMs;

    // Per stats interval.
    private long _intervalStart;
    private long _intervalOut;
    private long _intervalDropped;
    private double _intervalLatencySum;
    private double _intervalLatencyMax;

    public SessionStatistics()
    {
        _intervalStart = _started;
    }

    public long FramesIn => Interlocked.Read(ref _framesIn);

    public long FramesOut => _framesOut;

    public long FramesSkipped => _framesSkipped;

    public long FramesDropped => _framesDropped;

    public long FramesFailed => _framesFailed;

    /// <summary>Seconds since the session started.</summary>
    public double UptimeSeconds => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    /// <summary>Mean latency of the frames sent back, over the whole session.</summary>
    public double MeanLatencyMs => _framesOut == 0 ? 0 : _latencySumMs / _framesOut;

    /// <summary>True once the current interval is at least <paramref name="interval"/> long.</summary>
    public bool IntervalElapsed(TimeSpan interval) => Stopwatch.GetElapsedTime(_intervalStart) >= interval;

    public void CountIn() => Interlocked.Increment(ref _framesIn);

    public void CountOut(double totalMs, bool skipped)
    {
        _framesOut++;
        _intervalOut++;
        _latencySumMs += totalMs;
        _intervalLatencySum += totalMs;
        _intervalLatencyMax = Math.Max(_intervalLatencyMax, totalMs);
        if (skipped)
        {
            _framesSkipped++;
        }
    }

    public void CountDropped(bool overFpsCap)
    {
        _framesDropped++;
        if (overFpsCap)
        {
            _framesDroppedFpsCap++;
        }

        _intervalDropped++;
    }

    public void CountFailed() => _framesFailed++;

    /// <summary>Closes the current interval: its stats message, and how many frames it dropped over how long.</summary>
    public (SessionStats Stats, long Dropped, double Seconds) TakeInterval(string sessionId, bool final)
    {
        var seconds = Stopwatch.GetElapsedTime(_intervalStart).TotalSeconds;
        var stats = new SessionStats
        {
            SessionId = sessionId,
            FramesIn = (ulong)FramesIn,
            FramesOut = (ulong)_framesOut,
            FramesSkipped = (ulong)_framesSkipped,
            FramesDropped = (ulong)_framesDropped,
            FramesDroppedFpsCap = (ulong)_framesDroppedFpsCap,
            FramesFailed = (ulong)_framesFailed,
            Fps = seconds > 0 ? (float)(_intervalOut / seconds) : 0,
            LatencyMsMean = _intervalOut > 0 ? (float)(_intervalLatencySum / _intervalOut) : 0,
            LatencyMsMax = (float)_intervalLatencyMax,
            UptimeSeconds = UptimeSeconds,
            Final = final,
        };
        var dropped = _intervalDropped;
        _intervalStart = Stopwatch.GetTimestamp();
        _intervalOut = 0;
        _intervalDropped = 0;
        _intervalLatencySum = 0;
        _intervalLatencyMax = 0;
        return (stats, dropped, seconds);
    }
}
