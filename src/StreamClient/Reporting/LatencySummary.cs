namespace StreamDiffusion.StreamClient.Reporting;

/// <summary>Latency figures of a stream, in milliseconds.</summary>
/// <param name="Count">Latencies recorded (frames that came back with an image).</param>
/// <param name="MeanMs">Exact arithmetic mean.</param>
/// <param name="P50Ms">Median (HdrHistogram, within 0.1 %).</param>
/// <param name="P95Ms">95th percentile (HdrHistogram, within 0.1 %).</param>
/// <param name="MaxMs">Largest value (HdrHistogram, within 0.1 %).</param>
public readonly record struct LatencySummary(long Count, double MeanMs, double P50Ms, double P95Ms, double MaxMs);
