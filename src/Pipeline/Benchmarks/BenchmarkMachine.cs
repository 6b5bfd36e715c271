namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>The machine a benchmark ran on.</summary>
/// <param name="Cores">Logical processors visible to the process.</param>
/// <param name="Cpu">CPU model name when the OS tells, else the architecture.</param>
/// <param name="Os">Operating system description.</param>
/// <param name="Dotnet">.NET runtime description.</param>
/// <param name="OrtVersion">ONNX Runtime version.</param>
/// <param name="OrtProvider">Execution provider the model ran on.</param>
/// <param name="MemoryGb">Physical memory available to the process, in GB.</param>
public sealed record BenchmarkMachine(int Cores, string Cpu, string Os, string Dotnet, string OrtVersion, string OrtProvider, double MemoryGb);
