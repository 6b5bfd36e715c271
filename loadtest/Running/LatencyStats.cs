using HdrHistogram;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>Latency percentiles in milliseconds (all 0 when nothing was recorded).</summary>
public sealed record LatencyStats(long Count, double MeanMs, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    /// <summary>Summarises a histogram of microseconds.</summary>
    public static LatencyStats From(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
        {
            return new LatencyStats(0, 0, 0, 0, 0, 0);
        }

        return new LatencyStats(
            histogram.TotalCount,
            histogram.GetMean() / 1000.0,
            histogram.GetValueAtPercentile(50) / 1000.0,
            histogram.GetValueAtPercentile(95) / 1000.0,
            histogram.GetValueAtPercentile(99) / 1000.0,
            histogram.GetMaxValue() / 1000.0);
    }
}
