namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>The settings a benchmark ran with, recorded beside its results.</summary>
public sealed record BenchmarkSettings
{
    /// <summary>Model pack folder, or "synthetic" for a pack written for the run.</summary>
    public required string Model { get; init; }

    /// <summary>Compute layers of the synthesized UNet (null for a given pack).</summary>
    public int? ComputeLayers { get; init; }

    /// <summary>Channel width of those layers (null for a given pack).</summary>
    public int? ComputeChannels { get; init; }

    /// <summary>Latent codec the pipeline used ("taesd", "vae").</summary>
    public required string Codec { get; init; }

    /// <summary>Frame side in pixels.</summary>
    public required int Size { get; init; }

    /// <summary>Timed frames per contender.</summary>
    public required int Frames { get; init; }

    /// <summary>Untimed warm-up frames per contender.</summary>
    public required int Warmup { get; init; }

    /// <summary>Frames per similarity-filter input.</summary>
    public required int FilterFrames { get; init; }

    /// <summary>Frames per contender turn.</summary>
    public required int ChunkFrames { get; init; }

    /// <summary>t_index lists used per step count (n = "2", "4").</summary>
    public required IReadOnlyDictionary<string, int[]> TIndexLists { get; init; }

    /// <summary>CFG mode of every measurement except the CFG comparison.</summary>
    public required string Cfg { get; init; }

    /// <summary>Guidance scale.</summary>
    public required float Guidance { get; init; }

    /// <summary>Similarity filter threshold.</summary>
    public required double FilterThreshold { get; init; }

    /// <summary>Similarity filter max consecutive skips.</summary>
    public required int FilterMaxSkip { get; init; }

    /// <summary>Concurrent streams in the engine measurement.</summary>
    public required int Streams { get; init; }

    /// <summary>Engine MaxBatch when the streams share one engine.</summary>
    public required int SharedMaxBatch { get; init; }

    /// <summary>Engine MaxBatch of each separate stream's own engine.</summary>
    public required int SeparateMaxBatch { get; init; }

    /// <summary>Engine workers (concurrent model calls) when the streams share one engine: the provider's default.</summary>
    public int SharedWorkers { get; init; } = 1;

    /// <summary>Engine workers of each separate stream's own engine (the same default; one stream never uses a second).</summary>
    public int SeparateWorkers { get; init; } = 1;

    /// <summary>The photo the moving input pans over ("test card" when generated).</summary>
    public required string Photo { get; init; }

    /// <summary>The pan: frames per sweep (then it sweeps back).</summary>
    public required int PanFrames { get; init; }

    /// <summary>How allocations were counted.</summary>
    public required string AllocationCounter { get; init; }

    /// <summary>Whether the quick preset was used.</summary>
    public required bool Quick { get; init; }

    /// <summary>The CPU sessions' thread settings (pools, intra-op threads, spinning).</summary>
    public string OrtThreads { get; init; } = string.Empty;
}
