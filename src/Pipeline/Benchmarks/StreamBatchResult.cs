namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Figures of <see cref="StreamBatchMeasurement"/> for one step count.</summary>
/// <param name="BatchedVsZeroLatency">Stream Batch throughput over zero-latency (sequential) throughput, median of rounds.</param>
/// <param name="ZeroLatencyFramesPerSecond">Zero-latency frames per second.</param>
/// <param name="BatchedLatencyMs">Stream Batch input-to-output latency (n frame times).</param>
/// <param name="ZeroLatencyLatencyMs">Zero-latency input-to-output latency (one frame time).</param>
internal sealed record StreamBatchResult(double BatchedVsZeroLatency, double ZeroLatencyFramesPerSecond, double BatchedLatencyMs, double ZeroLatencyLatencyMs);
