namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Where a running benchmark is: reported synchronously at phase starts and after timed chunks.</summary>
/// <param name="Phase">Name of the current measurement.</param>
/// <param name="PhaseIndex">Zero-based index of the phase.</param>
/// <param name="PhaseCount">Number of phases.</param>
/// <param name="Fraction">Share of the current phase done, 0..1.</param>
public readonly record struct BenchmarkProgress(string Phase, int PhaseIndex, int PhaseCount, double Fraction);
