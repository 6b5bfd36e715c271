namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// A session's input frame-rate cap: a token bucket refilled at the cap's rate, holding at most
/// <see cref="BurstFrames"/> tokens. A frame that finds a token is admitted; any other frame is answered dropped
/// (reason fps_cap) without being decoded. Used by the session's reader only, so it needs no locking.
/// </summary>
/// <remarks>
/// The burst of two frames absorbs send jitter: a client sending exactly at the cap, a little early now and a
/// little late next, loses nothing, while over any longer stretch at most the cap's rate gets through.
/// </remarks>
internal sealed class FrameRateLimiter
{
    /// <summary>Frames a client may send back to back after a pause.</summary>
    public const double BurstFrames = 2;

    private readonly TimeProvider _time;
    private double _tokens = BurstFrames;
    private long _refilled;

    public FrameRateLimiter(double framesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(framesPerSecond);
        ArgumentNullException.ThrowIfNull(time);
        FramesPerSecond = framesPerSecond;
        _time = time;
        _refilled = time.GetTimestamp();
    }

    /// <summary>The cap in force.</summary>
    public double FramesPerSecond { get; }

    /// <summary>
    /// The cap in force for a stream: the lowest of the positive caps given (the host's per-stream cap, the
    /// session's own request, and any per-client limit), or 0 (no cap) when none is positive. This is the one place
    /// where caps combine; a new source of limits adds an argument here.
    /// </summary>
    public static double Effective(params ReadOnlySpan<double> caps)
    {
        var effective = 0.0;
        foreach (var cap in caps)
        {
            if (cap > 0 && (effective == 0 || cap < effective))
            {
                effective = cap;
            }
        }

        return effective;
    }

    /// <summary>A limiter for <paramref name="framesPerSecond"/>, or null when it is 0 (no cap).</summary>
    public static FrameRateLimiter? Create(double framesPerSecond, TimeProvider time) =>
        framesPerSecond > 0 ? new FrameRateLimiter(framesPerSecond, time) : null;

    /// <summary>Takes a token for a frame arriving now; false when the frame is over the cap.</summary>
    public bool TryAdmit()
    {
        var now = _time.GetTimestamp();
        var seconds = (double)(now - _refilled) / _time.TimestampFrequency;
        _refilled = now;
        _tokens = Math.Min(BurstFrames, _tokens + (seconds * FramesPerSecond));
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return true;
        }

        return false;
    }
}
