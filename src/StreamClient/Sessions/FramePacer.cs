using System.Diagnostics;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>
/// Sends frame i no earlier than i / fps after the first one. A frame that is late goes out at once; when the
/// client falls more than two frame intervals behind (a slow source or a stalled write) the schedule restarts
/// from the late frame instead of bursting to catch up. fps 0 disables pacing.
/// </summary>
internal sealed class FramePacer
{
    private readonly double _fps;
    private long _originTimestamp;
    private long _originIndex;

    public FramePacer(double fps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fps);
        _fps = fps;
    }

    /// <summary>Frames per second (0: unpaced).</summary>
    public double Fps => _fps;

    /// <summary>Where frame <paramref name="index"/> falls after the schedule's origin frame.</summary>
    public TimeSpan Offset(long index) =>
        _fps > 0 ? TimeSpan.FromSeconds((index - _originIndex) / _fps) : TimeSpan.Zero;

    /// <summary>
    /// How long frame <paramref name="index"/> must wait when <paramref name="elapsed"/> has passed since the
    /// origin, and whether the schedule should restart at it because it is too late.
    /// </summary>
    public (TimeSpan Wait, bool Rebase) Plan(long index, TimeSpan elapsed)
    {
        if (_fps <= 0)
        {
            return (TimeSpan.Zero, false);
        }

        var wait = Offset(index) - elapsed;
        var interval = TimeSpan.FromSeconds(1 / _fps);
        return wait >= TimeSpan.Zero ? (wait, false) : (TimeSpan.Zero, -wait > 2 * interval);
    }

    /// <summary>Waits until frame <paramref name="index"/> is due.</summary>
    public async ValueTask WaitAsync(long index, CancellationToken cancellationToken)
    {
        if (_fps <= 0)
        {
            return;
        }

        if (_originTimestamp == 0)
        {
            (_originTimestamp, _originIndex) = (Stopwatch.GetTimestamp(), index);
            return;
        }

        var (wait, rebase) = Plan(index, Stopwatch.GetElapsedTime(_originTimestamp));
        if (rebase)
        {
            (_originTimestamp, _originIndex) = (Stopwatch.GetTimestamp(), index);
        }
        else if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }
}
