namespace StreamDiffusion.Fuzz;

/// <summary>
/// One fuzz target: a function of arbitrary bytes that must either accept them or reject them with a precise
/// message, and throws (a crash, to the fuzzer) only on a defect.
/// </summary>
/// <param name="Name">Target name on the command line.</param>
/// <param name="Description">What the bytes are fed to.</param>
/// <param name="Run">Runs one input; throws <see cref="FuzzDefectException"/> or any unexpected exception on a defect.</param>
/// <param name="Seeds">Valid and near-valid inputs that start the corpus.</param>
public sealed record FuzzTarget(string Name, string Description, FuzzInput Run, Func<IReadOnlyList<byte[]>> Seeds);

/// <summary>Runs one fuzz input.</summary>
public delegate void FuzzInput(ReadOnlySpan<byte> data);
