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

    /// <summary>Per step count n ("2", "4"): Stream Batch (one UNet call of n items per frame) over sequential denoising, i.e. the zero-latency mode (n calls of 1 item).</summary>
    public required IReadOnlyDictionary<string, double> StreamBatchVsSequential { get; init; }

    /// <summary>Per step count n ("2", "4"): frames per second of the zero-latency mode (all n steps of a frame in its own call).</summary>
    public required IReadOnlyDictionary<string, double> ZeroLatencyFps { get; init; }

    /// <summary>Input-to-output latency in ms: "stream_batch[n]" (n frame times) and "zero_latency[n]" (one frame time).</summary>
    public required IReadOnlyDictionary<string, double> LatencyMs { get; init; }

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

    /// <summary>
    /// The parts of <see cref="OverheadMsPerFrame"/>: "rgb24_tensor_conversion" (byte ↔ float, both
    /// directions), "engine_hand_off_wait" (submission to start of the frame's engine calls) and
    /// "rest" (staging copies, scheduler math, bookkeeping).
    /// </summary>
    public required IReadOnlyDictionary<string, double> OverheadPartsMs { get; init; }

    /// <summary>Share of a single-stream frame spent outside the ONNX sessions (0..1).</summary>
    public required double OutsideOnnxShare { get; init; }

    /// <summary>
    /// The overhead phase per frame size ("512", and every size of <see cref="BenchmarkOptions.OverheadSizes"/>):
    /// frame, inside-ONNX and overhead times, the overhead's parts, the share outside ONNX and allocations.
    /// </summary>
    public required IReadOnlyDictionary<string, OverheadAtSize> OverheadBySize { get; init; }

    /// <summary>Wall milliseconds of one single-stream frame, raw RGB24 in and out (median of rounds).</summary>
    [JsonPropertyName("frame_ms_single_stream")]
    public required double FrameMsSingleStream { get; init; }

    /// <summary>Frames per second of four streams together on the shared engine (JPEG in and out).</summary>
    [JsonPropertyName("fps_4_streams_shared")]
    public required double FramesPerSecond4Streams { get; init; }

    /// <summary>Milliseconds of the frame's ONNX calls run back to back in a bare loop (median of rounds).</summary>
    public required double OnnxFloorMsPerFrame { get; init; }

    /// <summary>
    /// Per stream count ("1", "4"): a frame's time inside the ONNX sessions over the floor. With four
    /// streams the time of concurrent calls is summed, so contention for the cores shows as a ratio above 1.
    /// </summary>
    public required IReadOnlyDictionary<string, double> OnnxVsFloor { get; init; }

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
