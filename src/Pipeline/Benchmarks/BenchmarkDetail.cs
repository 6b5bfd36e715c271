namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>One raw measurement behind the report's ratios (a throughput, a time), for the readable table.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Value">The number.</param>
/// <param name="Unit">Its unit ("frames/s", "ms", ...).</param>
public sealed record BenchmarkDetail(string Name, double Value, string Unit);
