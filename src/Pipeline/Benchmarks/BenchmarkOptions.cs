using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>What <see cref="PipelineBenchmark"/> measures on: the model, the frame size and how many frames.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>A model pack folder; null synthesizes a pack (with TAESD) from <see cref="ComputeLayers"/> and <see cref="ComputeChannels"/>.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>Extra 3x3 convolutions in a synthesized UNet, so it is compute-bound like a real one rather than call-overhead-bound. Default 8.</summary>
    public int ComputeLayers { get; init; } = 8;

    /// <summary>Channel width of those convolutions. Default 64.</summary>
    public int ComputeChannels { get; init; } = 64;

    /// <summary>Frame side in pixels (square frames, a multiple of 8). Default 512.</summary>
    public int Size { get; init; } = 512;

    /// <summary>Timed frames per contender of each throughput measurement (per stream in the engine measurement). Default 24.</summary>
    public int Frames { get; init; } = 24;

    /// <summary>Untimed frames each contender runs first (fills the Stream Batch buffer, warms the JIT and ONNX Runtime). Default 3.</summary>
    public int Warmup { get; init; } = 3;

    /// <summary>
    /// Frames fed to the similarity filter on each input (static and moving). Default 88: eight full
    /// cycles of the default max skip (10 skips, then one processed frame).
    /// </summary>
    public int FilterFrames { get; init; } = 88;

    /// <summary>Timed frames are run in chunks of this many per contender, contenders taking turns, so load from other processes hits every contender alike. Default 2.</summary>
    public int ChunkFrames { get; init; } = 2;

    /// <summary>
    /// More frame sizes to run the overhead phase (and the allocation count) at after the full run at
    /// <see cref="Size"/>, each on the same model with its own frames; reported in
    /// <see cref="BenchmarkReport.OverheadBySize"/>. Empty by default.
    /// </summary>
    public IReadOnlyList<int> OverheadSizes { get; init; } = [];

    /// <summary>Photo the moving input pans over; null uses a generated test card.</summary>
    public string? PhotoPath { get; init; }

    /// <summary>How the model pack is loaded (execution provider, threads).</summary>
    public ModelPackOptions PackOptions { get; init; } = new();

    /// <summary>Whether this is the quick preset (recorded in the report's settings).</summary>
    public bool Quick { get; init; }

    /// <summary>
    /// Small sizes and few frames, so a test can run every measurement in seconds: 128x128, a light
    /// synthetic UNet, 4 timed frames. The ratios are then call-overhead-bound and only show that
    /// every measurement runs.
    /// </summary>
    public static BenchmarkOptions QuickPreset { get; } = new()
    {
        Size = 128,
        ComputeLayers = 2,
        ComputeChannels = 16,
        Frames = 4,
        Warmup = 2,
        FilterFrames = 22,
        ChunkFrames = 2,
        Quick = true,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, string message)
        {
            if (!ok)
            {
                throw new ArgumentException($"{name}: {message}", name);
            }
        }

        Check(Size is >= 64 and <= 2048 && Size % 8 == 0, "size", $"must be a multiple of 8 in 64..2048, got {Size}");
        ArgumentNullException.ThrowIfNull(OverheadSizes);
        foreach (var size in OverheadSizes)
        {
            Check(size is >= 64 and <= 2048 && size % 8 == 0, "sizes", $"every size must be a multiple of 8 in 64..2048, got {size}");
        }

        Check(Frames is >= 1 and <= 10_000, "frames", $"must be in 1..10000, got {Frames}");
        Check(Warmup is >= 1 and <= 1000, "warmup", $"must be in 1..1000 (the Stream Batch buffer must fill before timing), got {Warmup}");
        Check(FilterFrames is >= 1 and <= 10_000, "filter_frames", $"must be in 1..10000, got {FilterFrames}");
        Check(ChunkFrames >= 1, "chunk_frames", $"must be at least 1, got {ChunkFrames}");
        Check(ComputeLayers is >= 0 and <= 256, "compute_layers", $"must be in 0..256, got {ComputeLayers}");
        Check(ComputeChannels is >= 1 and <= 1024, "compute_channels", $"must be in 1..1024, got {ComputeChannels}");
        Check(PhotoPath is null || File.Exists(PhotoPath), "photo", $"file not found: {PhotoPath}");
        Check(ModelDirectory is null || Directory.Exists(ModelDirectory), "model", $"folder not found: {ModelDirectory}");
        ArgumentNullException.ThrowIfNull(PackOptions);
    }
}
