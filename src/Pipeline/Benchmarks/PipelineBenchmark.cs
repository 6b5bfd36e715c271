using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// The pipeline benchmark of DESIGN.md section 8, in one process on one machine: Stream Batch vs
/// sequential steps, residual CFG vs full CFG, the similarity filter on a static and a moving input,
/// the pipeline's own overhead outside the ONNX sessions and the inside-ONNX time over its floor,
/// steady-state allocations per frame, the JPEG codec cost, and engine micro-batching with four
/// streams vs four separate engines. Each measurement lives in its own class; this runner loads the
/// model once (<see cref="BenchmarkContext"/>), runs them in order and assembles the report.
/// </summary>
/// <remarks>
/// <para>Every comparison runs its contenders on the same model and the same frames. After an untimed
/// warm-up per contender (which also fills the Stream Batch buffers), the timed frames are run in
/// short rounds with the contenders taking turns; a ratio is the median over rounds of the per-round
/// throughput ratio, so a burst of load from another process spoils a round, not the result. The
/// frames/s figures in <see cref="BenchmarkReport.Details"/> are totals over all rounds.</para>
/// <para>The model's UNet, codec and text encoder are wrapped in timing decorators before the engines
/// are built on them; the time inside them is what "inside the ONNX sessions" means below (it
/// includes the wrappers' tensor marshalling around <c>Run</c>, which is small next to the graphs).</para>
/// </remarks>
public static class PipelineBenchmark
{
    /// <summary>Concurrent streams of the engine measurement.</summary>
    public const int Streams = BenchmarkContext.Streams;

    private static readonly string[] s_phaseNames =
    [
        "load model",
        "stream batch vs zero-latency",
        "residual CFG vs full CFG",
        "similarity filter",
        "pipeline overhead and ONNX floor",
        "allocations",
        "JPEG codec",
        "engine batching, 4 streams",
        "overhead at more sizes",
    ];

    /// <summary>Names of the phases, in the order they run (for progress displays).</summary>
    public static IReadOnlyList<string> Phases => s_phaseNames;

    /// <summary>Runs every measurement and returns the report.</summary>
    /// <param name="options">Model, size and frame counts.</param>
    /// <param name="progress">Called synchronously at phase starts and between timed chunks (never inside a timed region).</param>
    /// <param name="cancellationToken">Stops the run between frames.</param>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, Action<BenchmarkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var context = new BenchmarkContext(options, s_phaseNames, progress, cancellationToken);
        await using (context.ConfigureAwait(false))
        {
            return await RunCoreAsync(context).ConfigureAwait(false);
        }
    }

    private static async Task<BenchmarkReport> RunCoreAsync(BenchmarkContext context)
    {
        context.StartPhase(0);
        await context.LoadAsync().ConfigureAwait(false);

        context.StartPhase(1);
        var batchedTwo = await StreamBatchMeasurement.RunAsync(context, BenchmarkContext.TwoSteps, 0, 0.4).ConfigureAwait(false);
        var batchedFour = await StreamBatchMeasurement.RunAsync(context, BenchmarkContext.FourSteps, 0.4, 1).ConfigureAwait(false);

        context.StartPhase(2);
        var (selfVsFull, initializeVsFull) = await ResidualCfgMeasurement.RunAsync(context).ConfigureAwait(false);

        context.StartPhase(3);
        var (staticSaved, movingSaved) = await SimilarityFilterMeasurement.RunAsync(context).ConfigureAwait(false);

        context.StartPhase(4);
        var overhead = await OverheadMeasurement.RunAsync(context, new OnnxFloor(context, BenchmarkContext.TwoSteps)).ConfigureAwait(false);

        context.StartPhase(5);
        var allocations = await AllocationMeasurement.RunAsync(context).ConfigureAwait(false);

        context.StartPhase(6);
        var codec = JpegCodecMeasurement.Run(context);

        context.StartPhase(7);
        var engine = await EngineBatchingMeasurement.RunAsync(context, overhead.FloorMs).ConfigureAwait(false);

        context.StartPhase(8);
        var bySize = await OverheadAtSizesAsync(context, OverheadAtSize.From(overhead, allocations)).ConfigureAwait(false);
        context.Report(1);

        var options = context.Options;
        var runtime = context.Runtime;
        return new BenchmarkReport
        {
            StreamBatchVsSequential = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["2"] = batchedTwo.BatchedVsZeroLatency,
                ["4"] = batchedFour.BatchedVsZeroLatency,
            },
            ZeroLatencyFps = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["2"] = batchedTwo.ZeroLatencyFramesPerSecond,
                ["4"] = batchedFour.ZeroLatencyFramesPerSecond,
            },
            LatencyMs = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["stream_batch[2]"] = batchedTwo.BatchedLatencyMs,
                ["zero_latency[2]"] = batchedTwo.ZeroLatencyLatencyMs,
                ["stream_batch[4]"] = batchedFour.BatchedLatencyMs,
                ["zero_latency[4]"] = batchedFour.ZeroLatencyLatencyMs,
            },
            RcfgSelfVsFull = selfVsFull,
            RcfgInitializeVsFull = initializeVsFull,
            SsfStaticUnetCallsSaved = staticSaved,
            SsfMovingUnetCallsSaved = movingSaved,
            EngineBatchedVsSeparate4Streams = engine.BatchedVsSeparate,
            OverheadMsPerFrame = overhead.OverheadMs,
            OverheadPartsMs = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["rgb24_tensor_conversion"] = bySize[Key(options.Size)].ConversionMs,
                ["engine_hand_off_wait"] = bySize[Key(options.Size)].EngineHandOffWaitMs,
                ["rest"] = bySize[Key(options.Size)].RestMs,
            },
            OutsideOnnxShare = bySize[Key(options.Size)].OutsideOnnxShare,
            OverheadBySize = bySize,
            FrameMsSingleStream = overhead.FrameMs,
            FramesPerSecond4Streams = engine.SharedFramesPerSecond,
            OnnxFloorMsPerFrame = overhead.FloorMs,
            OnnxVsFloor = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["1"] = overhead.OnnxVsFloor,
                ["4"] = engine.OnnxVsFloor,
            },
            CodecMsPerFrame = codec,
            AllocBytesPerFrame = allocations,
            Machine = new BenchmarkMachine(
                Environment.ProcessorCount,
                ReadCpuName(),
                RuntimeInformation.OSDescription,
                RuntimeInformation.FrameworkDescription,
                OrtEnv.Instance().GetVersionString(),
                context.Pack.Provider.ToString(),
                Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1)),
            Settings = new BenchmarkSettings
            {
                Model = options.ModelDirectory is null ? "synthetic" : Path.GetFullPath(options.ModelDirectory),
                ComputeLayers = options.ModelDirectory is null ? options.ComputeLayers : null,
                ComputeChannels = options.ModelDirectory is null ? options.ComputeChannels : null,
                Codec = runtime.Codec.Name,
                Size = options.Size,
                Frames = options.Frames,
                Warmup = options.Warmup,
                FilterFrames = options.FilterFrames,
                ChunkFrames = options.ChunkFrames,
                TIndexLists = new Dictionary<string, int[]>(StringComparer.Ordinal) { ["2"] = BenchmarkContext.TwoSteps, ["4"] = BenchmarkContext.FourSteps },
                Cfg = "self (except the CFG comparison)",
                Guidance = BenchmarkContext.Guidance,
                FilterThreshold = BenchmarkContext.FilterThreshold,
                FilterMaxSkip = BenchmarkContext.FilterMaxSkip,
                Streams = Streams,
                SharedMaxBatch = runtime.Denoiser.Options.MaxBatch,
                SeparateMaxBatch = 1,
                SharedWorkers = runtime.Denoiser.Options.Workers,
                SeparateWorkers = context.Batching(1).Workers,
                Photo = options.PhotoPath is null ? "test card" : Path.GetFileName(options.PhotoPath),
                PanFrames = BenchmarkFrames.PanFrames,
                AllocationCounter = AllocationMeasurement.Counter,
                Quick = options.Quick,
                OrtThreads = OrtThreadsText(options),
            },
            Details = context.Details.ToArray(),
        };
    }

    // The overhead phase (and allocations) again at each further size: a context of its own per size
    // (the same pack and settings, frames of that size), one after the other.
    private static async Task<Dictionary<string, OverheadAtSize>> OverheadAtSizesAsync(BenchmarkContext context, OverheadAtSize main)
    {
        var options = context.Options;
        var bySize = new Dictionary<string, OverheadAtSize>(StringComparer.Ordinal) { [Key(options.Size)] = main };
        var sizes = options.OverheadSizes.Where(s => s != options.Size).Distinct().ToArray();
        for (var i = 0; i < sizes.Length; i++)
        {
            // Only the overhead and allocation frames are needed: no filter input beyond one frame.
            var sized = options with { Size = sizes[i], FilterFrames = 1, OverheadSizes = [] };
            var sub = new BenchmarkContext(sized, s_phaseNames, null, context.CancellationToken);
            await using (sub.ConfigureAwait(false))
            {
                await sub.LoadAsync().ConfigureAwait(false);
                var overhead = await OverheadMeasurement.RunAsync(sub, new OnnxFloor(sub, BenchmarkContext.TwoSteps)).ConfigureAwait(false);
                var allocations = await AllocationMeasurement.RunAsync(sub).ConfigureAwait(false);
                var figures = OverheadAtSize.From(overhead, allocations);
                bySize[Key(sizes[i])] = figures;
                context.Details.Add(new BenchmarkDetail($"{sizes[i]}x{sizes[i]}: overhead per frame (share of the frame {100 * figures.OutsideOnnxShare:0.#} %)", figures.OverheadMs, "ms"));
            }

            context.Report((i + 1.0) / sizes.Length);
        }

        return bySize;
    }

    private static string Key(int size) => size.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string OrtThreadsText(BenchmarkOptions options)
    {
        var pack = options.PackOptions;
        var threads = pack.IntraOpThreads > 0 ? pack.IntraOpThreads.ToString(System.Globalization.CultureInfo.InvariantCulture) : "default";
        return $"{pack.ThreadPools}, intra-op threads {threads}, spinning {(pack.AllowSpinning ? "on" : "off")}";
    }

    private static string ReadCpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                    {
                        return line[(colon + 1)..].Trim();
                    }
                }
            }
        }
        catch (IOException)
        {
            // Not worth failing a benchmark over; fall back to the architecture.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
