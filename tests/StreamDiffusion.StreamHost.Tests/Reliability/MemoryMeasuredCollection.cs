namespace StreamDiffusion.StreamHost.Tests.Reliability;

/// <summary>
/// Tests that measure the process's managed heap: they run alone, so other tests' allocations do not count.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasuredCollection), DisableParallelization = true)]
public sealed class MemoryMeasuredCollection;
