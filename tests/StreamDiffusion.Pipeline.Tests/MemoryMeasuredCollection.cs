namespace StreamDiffusion.Pipeline.Tests;

/// <summary>
/// Tests that read the process's managed heap (<c>GC.GetTotalMemory</c>) run alone: other tests running in
/// parallel in the same process would allocate into the measurement.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasuredCollection), DisableParallelization = true)]
public sealed class MemoryMeasuredCollection;
