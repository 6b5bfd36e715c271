using HdrHistogram;

namespace StreamDiffusion.StreamClient.Reporting;

/// <summary>
/// Round-trip latencies of one stream (client send to client receipt), kept in an HdrHistogram with
/// microsecond resolution and three significant digits, so percentiles cost no per-frame allocation and
/// stay within 0.1 % of the true value. The mean is kept exactly. Safe to record from one thread while
/// another reads (the live line reads while the receive loop records).
/// </summary>
public sealed class LatencyReport
{
    // One hour: anything slower is clamped to it rather than thrown away.
    private const long HighestMicroseconds = 3_600_000_000;
    private readonly LongHistogram _histogram = new(HighestMicroseconds, 3);
    private readonly object _gate = new();
    private double _sumMicroseconds;

    /// <summary>Number of latencies recorded.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _histogram.TotalCount;
            }
        }
    }

    /// <summary>Records one latency in microseconds (negative values, from clock skew, count as 0).</summary>
    public void Record(long microseconds)
    {
        var value = Math.Clamp(microseconds, 0, HighestMicroseconds);
        lock (_gate)
        {
            _histogram.RecordValue(value);
            _sumMicroseconds += value;
        }
    }

    /// <summary>Mean, median, 95th percentile and maximum in milliseconds (all 0 when nothing was recorded).</summary>
    public LatencySummary Summarize()
    {
        lock (_gate)
        {
            var count = _histogram.TotalCount;
            if (count == 0)
            {
                return new LatencySummary(0, 0, 0, 0, 0);
            }

            return new LatencySummary(
                count,
                _sumMicroseconds / count / 1000.0,
                _histogram.GetValueAtPercentile(50) / 1000.0,
                _histogram.GetValueAtPercentile(95) / 1000.0,
                _histogram.GetMaxValue() / 1000.0);
        }
    }
}
