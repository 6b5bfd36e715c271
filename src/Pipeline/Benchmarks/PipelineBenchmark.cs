using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// The pipeline benchmark of DESIGN.md section 8, in one process on one machine: Stream Batch vs
/// sequential steps, residual CFG vs full CFG, the similarity filter on a static and a moving input,
/// engine micro-batching with four streams vs four separate engines, the pipeline's own overhead
/// outside the ONNX sessions, the JPEG codec cost and steady-state allocations per frame.
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
public sealed class PipelineBenchmark
{
    /// <summary>Concurrent streams of the engine measurement.</summary>
    public const int Streams = 4;

    private const float Guidance = 1.2f;
    private const double FilterThreshold = 0.98;
    private const int FilterMaxSkip = 10;
    private const string Prompt = "an astronaut in a garden, studio photo";
    private const string NegativePrompt = "blurry, low quality";
    private const string AllocationCounter =
        "GC.GetTotalAllocatedBytes(precise: true), process-wide (every thread: caller, engine loops, thread pool), over the timed frames after warm-up, JPEG in and out, filter off";

    private static readonly string[] PhaseNames =
    [
        "load model",
        "stream batch vs sequential",
        "residual CFG vs full CFG",
        "similarity filter",
        "pipeline overhead",
        "allocations",
        "JPEG codec",
        "engine batching, 4 streams",
    ];

    private static readonly int[] TwoSteps = [32, 45];
    private static readonly int[] FourSteps = [0, 16, 32, 45];

    private readonly BenchmarkOptions options;
    private readonly Action<BenchmarkProgress>? progress;
    private readonly CancellationToken cancellationToken;
    private readonly OnnxTimer timer = new();
    private readonly List<BenchmarkDetail> details = [];

    private string? temporaryPack;
    private ModelPack? pack;
    private INoisePredictor? timedUnet;
    private ILatentCodec? timedCodec;
    private TextEncodeFunction? timedTextEncoder;
    private ModelRuntime? runtime;
    private BenchmarkFrames? frames;
    private float[][] latents = [];
    private float[] positive = [];
    private float[] negative = [];
    private int phase;

    private PipelineBenchmark(BenchmarkOptions options, Action<BenchmarkProgress>? progress, CancellationToken cancellationToken)
    {
        this.options = options;
        this.progress = progress;
        this.cancellationToken = cancellationToken;
    }

    /// <summary>Names of the phases, in the order they run (for progress displays).</summary>
    public static IReadOnlyList<string> Phases => PhaseNames;

    private ModelRuntime Runtime => runtime!;

    private BenchmarkFrames Frames => frames!;

    private int Size => options.Size;

    /// <summary>Runs every measurement and returns the report.</summary>
    /// <param name="options">Model, size and frame counts.</param>
    /// <param name="progress">Called synchronously at phase starts and between timed chunks (never inside a timed region).</param>
    /// <param name="cancellationToken">Stops the run between frames.</param>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, Action<BenchmarkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var benchmark = new PipelineBenchmark(options, progress, cancellationToken);
        try
        {
            return await benchmark.RunCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            await benchmark.CleanUpAsync().ConfigureAwait(false);
        }
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

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

    private async Task<BenchmarkReport> RunCoreAsync()
    {
        StartPhase(0);
        await LoadAsync().ConfigureAwait(false);

        StartPhase(1);
        var batchedTwo = await StreamBatchVsSequentialAsync(TwoSteps, 0, 0.4).ConfigureAwait(false);
        var batchedFour = await StreamBatchVsSequentialAsync(FourSteps, 0.4, 1).ConfigureAwait(false);

        StartPhase(2);
        var (selfVsFull, initializeVsFull) = await ResidualCfgAsync().ConfigureAwait(false);

        StartPhase(3);
        var (staticSaved, movingSaved) = await SimilarityFilterAsync().ConfigureAwait(false);

        StartPhase(4);
        var overhead = await OverheadAsync().ConfigureAwait(false);

        StartPhase(5);
        var allocations = await AllocationsAsync().ConfigureAwait(false);

        StartPhase(6);
        var codec = JpegCodec();

        StartPhase(7);
        var engine = await EngineBatchingAsync().ConfigureAwait(false);
        Report(1);

        return new BenchmarkReport
        {
            StreamBatchVsSequential = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["2"] = batchedTwo,
                ["4"] = batchedFour,
            },
            RcfgSelfVsFull = selfVsFull,
            RcfgInitializeVsFull = initializeVsFull,
            SsfStaticUnetCallsSaved = staticSaved,
            SsfMovingUnetCallsSaved = movingSaved,
            EngineBatchedVsSeparate4Streams = engine,
            OverheadMsPerFrame = overhead,
            CodecMsPerFrame = codec,
            AllocBytesPerFrame = allocations,
            Machine = new BenchmarkMachine(
                Environment.ProcessorCount,
                ReadCpuName(),
                RuntimeInformation.OSDescription,
                RuntimeInformation.FrameworkDescription,
                OrtEnv.Instance().GetVersionString(),
                pack!.Provider.ToString(),
                Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1)),
            Settings = new BenchmarkSettings
            {
                Model = options.ModelDirectory is null ? "synthetic" : Path.GetFullPath(options.ModelDirectory),
                ComputeLayers = options.ModelDirectory is null ? options.ComputeLayers : null,
                ComputeChannels = options.ModelDirectory is null ? options.ComputeChannels : null,
                Codec = Runtime.Codec.Name,
                Size = Size,
                Frames = options.Frames,
                Warmup = options.Warmup,
                FilterFrames = options.FilterFrames,
                ChunkFrames = options.ChunkFrames,
                TIndexLists = new Dictionary<string, int[]>(StringComparer.Ordinal) { ["2"] = TwoSteps, ["4"] = FourSteps },
                Cfg = "self (except the CFG comparison)",
                Guidance = Guidance,
                FilterThreshold = FilterThreshold,
                FilterMaxSkip = FilterMaxSkip,
                Streams = Streams,
                SharedMaxBatch = Runtime.Denoiser.Options.MaxBatch,
                SeparateMaxBatch = 1,
                SharedWorkers = Runtime.Denoiser.Options.Workers,
                SeparateWorkers = Batching(1).Workers,
                Photo = options.PhotoPath is null ? "test card" : Path.GetFileName(options.PhotoPath),
                PanFrames = BenchmarkFrames.PanFrames,
                AllocationCounter = AllocationCounter,
                Quick = options.Quick,
            },
            Details = details.ToArray(),
        };
    }

    private async Task LoadAsync()
    {
        var directory = options.ModelDirectory;
        if (directory is null)
        {
            // A private pack per run: the compute knobs differ from the host's default pack, and a temp folder cannot go stale.
            temporaryPack = Path.Combine(Path.GetTempPath(), "streamdiffusion-bench-" + Guid.NewGuid().ToString("N"));
            SyntheticPackWriter.Write(temporaryPack, new SyntheticPackOptions
            {
                Family = SyntheticFamily.SdTurbo,
                ImageSize = Size,
                Taesd = true,
                ComputeLayers = options.ComputeLayers,
                ComputeChannels = options.ComputeChannels,
            });
            directory = temporaryPack;
        }

        pack = ModelPack.Load(directory, options.PackOptions);
        timedUnet = new TimedNoisePredictor(pack.Unet, timer);
        timedCodec = new TimedLatentCodec(pack.Codec, timer);
        var encoder = pack.TextEncoder;
        timedTextEncoder = (ids, batch, embeddings) =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                encoder.Encode(ids, batch, embeddings);
            }
            finally
            {
                timer.Stop(start);
            }
        };
        runtime = NewRuntime(Batching(Streams * TwoSteps.Length));

        var count = options.Warmup + Math.Max(options.Frames, options.FilterFrames);
        frames = BenchmarkFrames.Create(options.PhotoPath, Size, count);
        latents = new float[count][];
        var shape = LatentShape;
        for (var i = 0; i < count; i++)
        {
            latents[i] = new float[shape.Length];
            await Runtime.Codec.EncodeAsync(Frames.Tensors[i], 1, Size, Size, latents[i], cancellationToken).ConfigureAwait(false);
        }

        positive = await Runtime.EncodePromptAsync(Prompt, cancellationToken).ConfigureAwait(false);
        negative = await Runtime.EncodePromptAsync(NegativePrompt, cancellationToken).ConfigureAwait(false);
    }

    private LatentShape LatentShape => new(1, 4, Size / 8, Size / 8);

    // The host's defaults for the pack's provider (BatchingOptions.ForProvider: four workers on the CPU,
    // one on a GPU), so the shared engine is measured as the host runs it.
    private BatchingOptions Batching(int maxBatch) => BatchingOptions.ForProvider(pack!.Provider) with { MaxBatch = maxBatch };

    private ModelRuntime NewRuntime(BatchingOptions batching) =>
        new(pack!, timedUnet!, timedCodec!, timedTextEncoder!, batching, ownsPack: false);

    private StreamSettings Settings(int[] tIndex, CfgMode mode) => new()
    {
        PromptEmbedding = positive,
        NegativePromptEmbedding = negative,
        TIndexList = tIndex,
        CfgMode = mode,
        GuidanceScale = Guidance,
        Seed = 2,
    };

    private ImageStreamOptions StreamOptions(bool filter, FrameEncoding output, long seed = 2) => new()
    {
        Width = Size,
        Height = Size,
        Prompt = Prompt,
        NegativePrompt = NegativePrompt,
        TIndexList = TwoSteps,
        Cfg = CfgMode.Self,
        Guidance = Guidance,
        Seed = seed,
        Filter = new SimilarityFilterSettings(filter, FilterThreshold, FilterMaxSkip),
        Output = output,
    };

    /// <summary>Throughput of Stream Batch over sequential steps for one t_index list.</summary>
    private async Task<double> StreamBatchVsSequentialAsync(int[] tIndex, double from, double to)
    {
        var n = tIndex.Length;
        var shape = LatentShape;
        var batched = new StreamBatchDenoiser(Runtime.Denoiser, Runtime.Scheduler, shape, Settings(tIndex, CfgMode.Self));
        var sequential = new StreamBatchDenoiser(Runtime.Denoiser, Runtime.Scheduler, shape, Settings(tIndex, CfgMode.Self));
        var batchedOut = new float[shape.Length];
        var sequentialOut = new float[shape.Length];

        // Reset makes the next call run the frame's n steps back to back (n UNet calls of one item each)
        // through the same code, noise and scheduler as Stream Batch: exactly the sequential baseline.
        var timing = await MeasureAsync(
            [
                (start, count) => PerFrameAsync(start, count, i => batched.DenoiseAsync(Latent(i), batchedOut, cancellationToken)),
                (start, count) => PerFrameAsync(start, count, i =>
                {
                    sequential.Reset();
                    return sequential.DenoiseAsync(Latent(i), sequentialOut, cancellationToken);
                }),
            ],
            from,
            to).ConfigureAwait(false);

        CheckCalls(batched.UNetCalls, (long)options.Warmup - 1 + n + options.Frames, "Stream Batch");
        CheckCalls(sequential.UNetCalls, (long)n * (options.Warmup + options.Frames), "sequential");
        details.Add(new BenchmarkDetail($"n={n} Stream Batch (1 UNet call of {n} items per frame)", timing.FramesPerSecond(0), "frames/s"));
        details.Add(new BenchmarkDetail($"n={n} sequential ({n} UNet calls of 1 item per frame)", timing.FramesPerSecond(1), "frames/s"));
        return timing.Ratio(0, 1);
    }

    /// <summary>Throughput of self and initialize residual CFG over full CFG (n = 2).</summary>
    private async Task<(double Self, double Initialize)> ResidualCfgAsync()
    {
        var shape = LatentShape;
        CfgMode[] modes = [CfgMode.Full, CfgMode.Self, CfgMode.Initialize];
        var denoisers = modes.Select(m => new StreamBatchDenoiser(Runtime.Denoiser, Runtime.Scheduler, shape, Settings(TwoSteps, m))).ToArray();
        var outputs = modes.Select(_ => new float[shape.Length]).ToArray();
        var contenders = new Func<int, int, Task>[modes.Length];
        for (var m = 0; m < modes.Length; m++)
        {
            var denoiser = denoisers[m];
            var output = outputs[m];
            contenders[m] = (start, count) => PerFrameAsync(start, count, i => denoiser.DenoiseAsync(Latent(i), output, cancellationToken));
        }

        var timing = await MeasureAsync(contenders, 0, 1).ConfigureAwait(false);
        for (var m = 0; m < modes.Length; m++)
        {
            details.Add(new BenchmarkDetail($"CFG {modes[m].ToString().ToLowerInvariant()} ({denoisers[m].SteadyItemsPerCall} UNet items per frame)", timing.FramesPerSecond(m), "frames/s"));
        }

        return (timing.Ratio(1, 0), timing.Ratio(2, 0));
    }

    /// <summary>Fraction of UNet calls avoided by the filter on the same frame repeated and on the pan.</summary>
    private async Task<(double Static, double Moving)> SimilarityFilterAsync()
    {
        var streamOptions = StreamOptions(filter: true, FrameEncoding.DefaultJpeg);
        var still = await ImageStream.CreateAsync(Runtime, streamOptions, cancellationToken).ConfigureAwait(false);
        var moving = await ImageStream.CreateAsync(Runtime, streamOptions, cancellationToken).ConfigureAwait(false);
        try
        {
            var total = options.Warmup + options.FilterFrames;
            long stillCalls = 0;
            long movingCalls = 0;
            for (var i = 0; i < total; i++)
            {
                if (i == options.Warmup)
                {
                    stillCalls = still.UNetCalls;
                    movingCalls = moving.UNetCalls;
                }

                await still.ProcessFrameAsync(Frames.Jpeg[0], FrameDescriptor.Jpeg, cancellationToken).ConfigureAwait(false);
                await moving.ProcessFrameAsync(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, cancellationToken).ConfigureAwait(false);
                Report((double)(i + 1) / total);
            }

            // A warm Stream Batch stream makes exactly one UNet call per processed frame, so without the
            // filter these frames would have cost FilterFrames calls.
            stillCalls = still.UNetCalls - stillCalls;
            movingCalls = moving.UNetCalls - movingCalls;
            var similarity = 0.0;
            for (var i = options.Warmup; i < total; i++)
            {
                similarity += SimilarityFilter.CosineSimilarity(Frames.Tensors[(i - 1) % Frames.Count], Frames.Tensors[i % Frames.Count]);
            }

            details.Add(new BenchmarkDetail("filter, static input: UNet calls (of one per frame without filter)", stillCalls, $"of {options.FilterFrames}"));
            details.Add(new BenchmarkDetail("filter, moving input: UNet calls (of one per frame without filter)", movingCalls, $"of {options.FilterFrames}"));
            details.Add(new BenchmarkDetail("moving input: mean cosine similarity of consecutive frames", similarity / options.FilterFrames, string.Empty));
            return (1 - ((double)stillCalls / options.FilterFrames), 1 - ((double)movingCalls / options.FilterFrames));
        }
        finally
        {
            await still.DisposeAsync().ConfigureAwait(false);
            await moving.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Per-frame time outside the ONNX sessions: raw RGB24 in and out (no JPEG), filter off, so what is
    /// left is conversion, similarity bookkeeping, engine hand-offs and staging copies, and the scheduler math.
    /// </summary>
    private async Task<double> OverheadAsync()
    {
        var stream = await ImageStream.CreateAsync(Runtime, StreamOptions(filter: false, new FrameEncoding { Format = FrameFormat.Rgb24 }), cancellationToken).ConfigureAwait(false);
        try
        {
            var descriptor = FrameDescriptor.Rgb24(Size, Size);
            for (var i = 0; i < options.Warmup; i++)
            {
                await stream.ProcessFrameAsync(Frames.Raw[i % Frames.Count], descriptor, cancellationToken).ConfigureAwait(false);
            }

            Report(0.2);
            var denoiserBefore = Runtime.Denoiser.GetStats();
            var codecBefore = Runtime.Codec.GetStats();
            var onnxBefore = timer.Ticks;
            var conversionMs = 0.0;
            var start = Stopwatch.GetTimestamp();
            for (var i = options.Warmup; i < options.Warmup + options.Frames; i++)
            {
                var result = await stream.ProcessFrameAsync(Frames.Raw[i % Frames.Count], descriptor, cancellationToken).ConfigureAwait(false);
                conversionMs += result.Timings.DecodeMs + result.Timings.EncodeMs;
            }

            var wall = Stopwatch.GetTimestamp() - start;
            var onnx = timer.Ticks - onnxBefore;

            // Submission to start of the model call, summed over the frame's three engine requests: mostly
            // the engine thread's wake-up, which on a busy machine waits for a time slice.
            var queueWait = Runtime.Denoiser.GetStats().TotalQueueWait - denoiserBefore.TotalQueueWait
                + (Runtime.Codec.GetStats().TotalQueueWait - codecBefore.TotalQueueWait);
            var frameMs = Seconds(wall) * 1000 / options.Frames;
            var onnxMs = Seconds(onnx) * 1000 / options.Frames;
            details.Add(new BenchmarkDetail("single stream, raw in/out: frame time", frameMs, "ms"));
            details.Add(new BenchmarkDetail("single stream, raw in/out: inside ONNX sessions", onnxMs, "ms"));
            details.Add(new BenchmarkDetail("single stream: RGB24 <-> tensor conversion (part of the overhead)", conversionMs / options.Frames, "ms"));
            details.Add(new BenchmarkDetail("single stream: engine hand-off wait (part of the overhead)", queueWait.TotalMilliseconds / options.Frames, "ms"));
            details.Add(new BenchmarkDetail("overhead share of a frame", frameMs > 0 ? 100 * (frameMs - onnxMs) / frameMs : 0, "%"));
            return frameMs - onnxMs;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Managed bytes allocated per frame in steady state (JPEG in and out, the live path).</summary>
    private async Task<double> AllocationsAsync()
    {
        var stream = await ImageStream.CreateAsync(Runtime, StreamOptions(filter: false, FrameEncoding.DefaultJpeg), cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < options.Warmup; i++)
            {
                await stream.ProcessFrameAsync(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, cancellationToken).ConfigureAwait(false);
            }

            Report(0.2);

            // No progress reports inside the window: the display's allocations would be counted too.
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = options.Warmup; i < options.Warmup + options.Frames; i++)
            {
                await stream.ProcessFrameAsync(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, cancellationToken).ConfigureAwait(false);
            }

            var after = GC.GetTotalAllocatedBytes(precise: true);
            return (double)(after - before) / options.Frames;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>JPEG decode (to the model tensor) plus encode (from it), per frame, on the calling thread.</summary>
    private double JpegCodec()
    {
        using var decoder = new FrameDecoder(new FrameDecoderOptions { Width = Size, Height = Size });
        using var encoder = new FrameEncoder();
        var tensor = new float[3 * Size * Size];
        var total = options.Warmup + options.Frames;
        long ticks = 0;
        for (var i = 0; i < total; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            decoder.Decode(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, tensor);
            encoder.Encode(tensor, Size, Size, FrameEncoding.DefaultJpeg);
            if (i >= options.Warmup)
            {
                ticks += Stopwatch.GetTimestamp() - start;
            }
        }

        Report(1);
        return Seconds(ticks) * 1000 / options.Frames;
    }

    /// <summary>
    /// Four free-running streams on one shared engine vs four streams with an engine each (MaxBatch 1),
    /// both with the provider's default workers; a third contender, the shared engine with one worker
    /// (the GPU setting), is timed in the same rounds for reference.
    /// </summary>
    /// <remarks>
    /// A separate engine serves one stream, which never has two requests on it at once, so its extra
    /// worker (if any) idles: the separate contender gets the same defaults without gaining from them.
    /// </remarks>
    private async Task<double> EngineBatchingAsync()
    {
        var streamOptions = StreamOptions(filter: false, FrameEncoding.DefaultJpeg);
        var shared = new ImageStream[Streams];
        var separateRuntimes = new ModelRuntime[Streams];
        var separate = new ImageStream[Streams];
        var oneWorker = new ImageStream[Streams];
        var oneWorkerRuntime = Runtime.Denoiser.Options.Workers == 1 ? null : NewRuntime(Runtime.Denoiser.Options with { Workers = 1 });
        var statsBefore = Runtime.Denoiser.GetStats();
        try
        {
            for (var s = 0; s < Streams; s++)
            {
                shared[s] = await ImageStream.CreateAsync(Runtime, streamOptions with { Seed = s + 2 }, cancellationToken).ConfigureAwait(false);
                separateRuntimes[s] = NewRuntime(Batching(1));
                separate[s] = await ImageStream.CreateAsync(separateRuntimes[s], streamOptions with { Seed = s + 2 }, cancellationToken).ConfigureAwait(false);
                if (oneWorkerRuntime is not null)
                {
                    oneWorker[s] = await ImageStream.CreateAsync(oneWorkerRuntime, streamOptions with { Seed = s + 2 }, cancellationToken).ConfigureAwait(false);
                }
            }

            List<Func<int, int, Task>> contenders = [(start, count) => RunStreamsAsync(shared, start, count), (start, count) => RunStreamsAsync(separate, start, count)];
            if (oneWorkerRuntime is not null)
            {
                contenders.Add((start, count) => RunStreamsAsync(oneWorker, start, count));
            }

            var timing = await MeasureAsync(contenders, 0, 1).ConfigureAwait(false);
            var stats = Runtime.Denoiser.GetStats();
            var calls = stats.Calls - statsBefore.Calls;
            var workers = Runtime.Denoiser.Options.Workers;
            details.Add(new BenchmarkDetail($"4 streams, one shared engine (micro-batched, {workers} worker{(workers == 1 ? string.Empty : "s")})", Streams * timing.FramesPerSecond(0), "frames/s"));
            details.Add(new BenchmarkDetail("4 streams, shared engine: mean UNet batch", calls == 0 ? 0 : (double)(stats.Items - statsBefore.Items) / calls, "items"));
            details.Add(new BenchmarkDetail("4 streams, shared engine: UNet calls overlapping another", calls == 0 ? 0 : 100.0 * (stats.OverlappingCalls - statsBefore.OverlappingCalls) / calls, "%"));
            details.Add(new BenchmarkDetail("4 streams, an engine each (MaxBatch 1)", Streams * timing.FramesPerSecond(1), "frames/s"));
            if (oneWorkerRuntime is not null)
            {
                var single = oneWorkerRuntime.Denoiser.GetStats();
                details.Add(new BenchmarkDetail("4 streams, one shared engine with 1 worker", Streams * timing.FramesPerSecond(2), "frames/s"));
                details.Add(new BenchmarkDetail("4 streams, shared engine with 1 worker: mean UNet batch", single.AverageBatchSize, "items"));
            }

            return timing.Ratio(0, 1);
        }
        finally
        {
            foreach (var stream in shared.Concat(separate).Concat(oneWorker))
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
            }

            foreach (var separateRuntime in separateRuntimes.Append(oneWorkerRuntime))
            {
                if (separateRuntime is not null)
                {
                    await separateRuntime.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private Task RunStreamsAsync(ImageStream[] streams, int start, int count)
    {
        var loops = new Task[streams.Length];
        for (var s = 0; s < streams.Length; s++)
        {
            var stream = streams[s];

            // Each stream sees its own stretch of the pan; both contenders see the same stretches.
            var offset = s * 7;
            loops[s] = Task.Run(
                async () =>
                {
                    for (var i = start; i < start + count; i++)
                    {
                        await stream.ProcessFrameAsync(Frames.Jpeg[(i + offset) % Frames.Count], FrameDescriptor.Jpeg, cancellationToken).ConfigureAwait(false);
                    }
                },
                cancellationToken);
        }

        return Task.WhenAll(loops);
    }

    private async Task PerFrameAsync(int start, int count, Func<int, ValueTask> step)
    {
        for (var i = start; i < start + count; i++)
        {
            await step(i).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Warms every contender up, then times <see cref="BenchmarkOptions.Frames"/> frames of each in
    /// rounds of <see cref="BenchmarkOptions.ChunkFrames"/>, contenders taking turns.
    /// </summary>
    private async Task<InterleavedTiming> MeasureAsync(IReadOnlyList<Func<int, int, Task>> contenders, double from, double to)
    {
        foreach (var contender in contenders)
        {
            await contender(0, options.Warmup).ConfigureAwait(false);
        }

        var timing = new InterleavedTiming(contenders.Count);
        var done = 0;
        var round = 0;
        while (done < options.Frames)
        {
            var chunk = Math.Min(options.ChunkFrames, options.Frames - done);
            var ticks = new long[contenders.Count];

            // Alternate who goes first, so neither contender always runs right after the other's work.
            for (var k = 0; k < contenders.Count; k++)
            {
                var c = (k + round) % contenders.Count;
                cancellationToken.ThrowIfCancellationRequested();
                var start = Stopwatch.GetTimestamp();
                await contenders[c](options.Warmup + done, chunk).ConfigureAwait(false);
                ticks[c] = Stopwatch.GetTimestamp() - start;
            }

            timing.Add(ticks, chunk);
            done += chunk;
            round++;
            Report(from + ((to - from) * done / options.Frames));
        }

        return timing;
    }

    private float[] Latent(int frame) => latents[frame % latents.Length];

    private static void CheckCalls(long actual, long expected, string what)
    {
        // A wrong count would mean the comparison did not measure what its name says.
        if (actual != expected)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected} UNet calls, counted {actual}"));
        }
    }

    private void StartPhase(int index)
    {
        phase = index;
        Report(0);
    }

    private void Report(double fraction) =>
        progress?.Invoke(new BenchmarkProgress(PhaseNames[phase], phase, PhaseNames.Length, Math.Clamp(fraction, 0, 1)));

    private async Task CleanUpAsync()
    {
        if (runtime is not null)
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
        }

        pack?.Dispose();
        if (temporaryPack is not null && Directory.Exists(temporaryPack))
        {
            try
            {
                Directory.Delete(temporaryPack, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
