namespace StreamDiffusion.LoadTest.Running;

/// <summary>One point of the time series: rates and latency percentiles of one replica over one sampling interval.</summary>
/// <param name="Seconds">Time since the run started.</param>
/// <param name="Replica">Replica name, or "all".</param>
/// <param name="FpsIn">Frames sent per second.</param>
/// <param name="FpsOut">Frames answered with an image per second.</param>
/// <param name="P50Ms">Median latency in the interval (NaN when no frame came back).</param>
/// <param name="P95Ms">95th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
public sealed record TimeSample(double Seconds, string Replica, double FpsIn, double FpsOut, double P50Ms, double P95Ms, double P99Ms);
