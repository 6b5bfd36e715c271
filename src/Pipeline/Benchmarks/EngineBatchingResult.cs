namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Figures of <see cref="EngineBatchingMeasurement"/>.</summary>
/// <param name="BatchedVsSeparate">Shared engine over an engine each (median of per-round throughput ratios).</param>
/// <param name="SharedFramesPerSecond">Frames per second of all four streams together on the shared engine.</param>
/// <param name="OnnxVsFloor">Inside-ONNX time per frame on the shared engine (concurrent calls summed) over the single-stream floor (median of rounds).</param>
internal sealed record EngineBatchingResult(double BatchedVsSeparate, double SharedFramesPerSecond, double OnnxVsFloor);
