using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// The results of one <see cref="PipelineBenchmark"/> run (DESIGN.md section 8). Ratios are A/B of
/// throughput on the same model and the same frames; serialised with snake_case names by <see cref="ToJson"/>.
/// </summary>
public sealed record BenchmarkReport
{
    /// <summary>JSON settings of <see cref="ToJson"/>: snake_case names, indented.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>Per step count n ("2", "4"): Stream Batch (one UNet call of n items per frame) over sequential denoising (n calls of 1 item).</summary>
    public required IReadOnlyDictionary<string, double> StreamBatchVsSequential { get; init; }

    /// <summary>Self residual CFG (n·f items) over full CFG (2·n·f items).</summary>
    public required double RcfgSelfVsFull { get; init; }

    /// <summary>Initialize residual CFG ((n+1)·f items) over full CFG.</summary>
    public required double RcfgInitializeVsFull { get; init; }

    /// <summary>Fraction of UNet calls the similarity filter avoided on a static input.</summary>
    public required double SsfStaticUnetCallsSaved { get; init; }

    /// <summary>Fraction of UNet calls the similarity filter avoided on a moving input (a pan over a photo).</summary>
    public required double SsfMovingUnetCallsSaved { get; init; }

    /// <summary>Four concurrent streams sharing one micro-batching engine over four streams with an engine each (MaxBatch 1).</summary>
    [JsonPropertyName("engine_batched_vs_separate_4_streams")]
    public required double EngineBatchedVsSeparate4Streams { get; init; }

    /// <summary>Milliseconds per frame spent outside the ONNX sessions (JPEG codec excluded).</summary>
    public required double OverheadMsPerFrame { get; init; }

    /// <summary>Milliseconds of JPEG decode plus encode per frame.</summary>
    public required double CodecMsPerFrame { get; init; }

    /// <summary>Steady-state managed bytes allocated per processed frame (process-wide precise counter).</summary>
    public required double AllocBytesPerFrame { get; init; }

    /// <summary>The machine.</summary>
    public required BenchmarkMachine Machine { get; init; }

    /// <summary>The settings.</summary>
    public required BenchmarkSettings Settings { get; init; }

    /// <summary>The raw measurements behind the ratios (for the readable table; not serialised).</summary>
    [JsonIgnore]
    public IReadOnlyList<BenchmarkDetail> Details { get; init; } = [];

    /// <summary>The report as a JSON object with snake_case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
