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

    private static readonly string[] s_phaseNames =
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

    private static readonly int[] s_twoSteps = [32, 45];
    private static readonly int[] s_fourSteps = [0, 16, 32, 45];

    private readonly BenchmarkOptions _options;
    private readonly Action<BenchmarkProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private readonly OnnxTimer _timer = new();
    private readonly List<BenchmarkDetail> _details = [];

    private string? _temporaryPack;
    private ModelPack? _pack;
    private INoisePredictor? _timedUnet;
    private ILatentCodec? _timedCodec;
    private TextEncodeFunction? _timedTextEncoder;
    private ModelRuntime? _runtime;
    private BenchmarkFrames? _frames;
    private float[][] _latents = [];
    private float[] _positive = [];
    private float[] _negative = [];
    private int _phase;

    private PipelineBenchmark(BenchmarkOptions options, Action<BenchmarkProgress>? progress, CancellationToken cancellationToken)
    {
        _options = options;
        _progress = progress;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Names of the phases, in the order they run (for progress displays).</summary>
    public static IReadOnlyList<string> Phases => s_phaseNames;

    private ModelRuntime Runtime => _runtime!;

    private BenchmarkFrames Frames => _frames!;

    private int Size => _options.Size;

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
        var batchedTwo = await StreamBatchVsSequentialAsync(s_twoSteps, 0, 0.4).ConfigureAwait(false);
        var batchedFour = await StreamBatchVsSequentialAsync(s_fourSteps, 0.4, 1).ConfigureAwait(false);

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
                _pack!.Provider.ToString(),
                Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1)),
            Settings = new BenchmarkSettings
            {
                Model = _options.ModelDirectory is null ? "synthetic" : Path.GetFullPath(_options.ModelDirectory),
                ComputeLayers = _options.ModelDirectory is null ? _options.ComputeLayers : null,
                ComputeChannels = _options.ModelDirectory is null ? _options.ComputeChannels : null,
                Codec = Runtime.Codec.Name,
                Size = Size,
                Frames = _options.Frames,
                Warmup = _options.Warmup,
                FilterFrames = _options.FilterFrames,
                ChunkFrames = _options.ChunkFrames,
                TIndexLists = new Dictionary<string, int[]>(StringComparer.Ordinal) { ["2"] = s_twoSteps, ["4"] = s_fourSteps },
                Cfg = "self (except the CFG comparison)",
                Guidance = Guidance,
                FilterThreshold = FilterThreshold,
                FilterMaxSkip = FilterMaxSkip,
                Streams = Streams,
                SharedMaxBatch = Runtime.Denoiser.Options.MaxBatch,
                SeparateMaxBatch = 1,
                SharedWorkers = Runtime.Denoiser.Options.Workers,
                SeparateWorkers = Batching(1).Workers,
                Photo = _options.PhotoPath is null ? "test card" : Path.GetFileName(_options.PhotoPath),
                PanFrames = BenchmarkFrames.PanFrames,
                AllocationCounter = AllocationCounter,
                Quick = _options.Quick,
            },
            Details = _details.ToArray(),
        };
    }

    private async Task LoadAsync()
    {
        var directory = _options.ModelDirectory;
        if (directory is null)
        {
            // A private pack per run: the compute knobs differ from the host's default pack, and a temp folder cannot go stale.
            _temporaryPack = Path.Combine(Path.GetTempPath(), "streamdiffusion-bench-" + Guid.NewGuid().ToString("N"));
            SyntheticPackWriter.Write(_temporaryPack, new SyntheticPackOptions
            {
                Family = SyntheticFamily.SdTurbo,
                ImageSize = Size,
                Taesd = true,
                ComputeLayers = _options.ComputeLayers,
                ComputeChannels = _options.ComputeChannels,
            });
            directory = _temporaryPack;
        }

        _pack = ModelPack.Load(directory, _options.PackOptions);
        _timedUnet = new TimedNoisePredictor(_pack.Unet, _timer);
        _timedCodec = new TimedLatentCodec(_pack.Codec, _timer);
        var encoder = _pack.TextEncoder;
        _timedTextEncoder = (ids, batch, embeddings) =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                encoder.Encode(ids, batch, embeddings);
            }
            finally
            {
                _timer.Stop(start);
            }
        };
        _runtime = NewRuntime(Batching(Streams * s_twoSteps.Length));

        var count = _options.Warmup + Math.Max(_options.Frames, _options.FilterFrames);
        _frames = BenchmarkFrames.Create(_options.PhotoPath, Size, count);
        _latents = new float[count][];
        var shape = LatentShape;
        for (var i = 0; i < count; i++)
        {
            _latents[i] = new float[shape.Length];
            await Runtime.Codec.EncodeAsync(Frames.Tensors[i], 1, Size, Size, _latents[i], _cancellationToken).ConfigureAwait(false);
        }

        _positive = await Runtime.EncodePromptAsync(Prompt, _cancellationToken).ConfigureAwait(false);
        _negative = await Runtime.EncodePromptAsync(NegativePrompt, _cancellationToken).ConfigureAwait(false);
    }

    private LatentShape LatentShape => new(1, 4, Size / 8, Size / 8);

    // The host's defaults for the pack's provider (BatchingOptions.ForProvider: four workers on the CPU,
    // one on a GPU), so the shared engine is measured as the host runs it.
    private BatchingOptions Batching(int maxBatch) => BatchingOptions.ForProvider(_pack!.Provider) with { MaxBatch = maxBatch };

    private ModelRuntime NewRuntime(BatchingOptions batching) =>
        new(_pack!, _timedUnet!, _timedCodec!, _timedTextEncoder!, batching, ownsPack: false);

    private StreamSettings Settings(int[] tIndex, CfgMode mode) => new()
    {
        PromptEmbedding = _positive,
        NegativePromptEmbedding = _negative,
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
        TIndexList = s_twoSteps,
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
                (start, count) => PerFrameAsync(start, count, i => batched.DenoiseAsync(Latent(i), batchedOut, _cancellationToken)),
                (start, count) => PerFrameAsync(start, count, i =>
                {
                    sequential.Reset();
                    return sequential.DenoiseAsync(Latent(i), sequentialOut, _cancellationToken);
                }),
            ],
            from,
            to).ConfigureAwait(false);

        CheckCalls(batched.UNetCalls, (long)_options.Warmup - 1 + n + _options.Frames, "Stream Batch");
        CheckCalls(sequential.UNetCalls, (long)n * (_options.Warmup + _options.Frames), "sequential");
        _details.Add(new BenchmarkDetail($"n={n} Stream Batch (1 UNet call of {n} items per frame)", timing.FramesPerSecond(0), "frames/s"));
        _details.Add(new BenchmarkDetail($"n={n} sequential ({n} UNet calls of 1 item per frame)", timing.FramesPerSecond(1), "frames/s"));
        return timing.Ratio(0, 1);
    }

    /// <summary>Throughput of self and initialize residual CFG over full CFG (n = 2).</summary>
    private async Task<(double Self, double Initialize)> ResidualCfgAsync()
    {
        var shape = LatentShape;
        CfgMode[] modes = [CfgMode.Full, CfgMode.Self, CfgMode.Initialize];
        var denoisers = modes.Select(m => new StreamBatchDenoiser(Runtime.Denoiser, Runtime.Scheduler, shape, Settings(s_twoSteps, m))).ToArray();
        var outputs = modes.Select(_ => new float[shape.Length]).ToArray();
        var contenders = new Func<int, int, Task>[modes.Length];
        for (var m = 0; m < modes.Length; m++)
        {
            var denoiser = denoisers[m];
            var output = outputs[m];
            contenders[m] = (start, count) => PerFrameAsync(start, count, i => denoiser.DenoiseAsync(Latent(i), output, _cancellationToken));
        }

        var timing = await MeasureAsync(contenders, 0, 1).ConfigureAwait(false);
        for (var m = 0; m < modes.Length; m++)
        {
            _details.Add(new BenchmarkDetail($"CFG {modes[m].ToString().ToLowerInvariant()} ({denoisers[m].SteadyItemsPerCall} UNet items per frame)", timing.FramesPerSecond(m), "frames/s"));
        }

        return (timing.Ratio(1, 0), timing.Ratio(2, 0));
    }

    /// <summary>Fraction of UNet calls avoided by the filter on the same frame repeated and on the pan.</summary>
    private async Task<(double Static, double Moving)> SimilarityFilterAsync()
    {
        var streamOptions = StreamOptions(filter: true, FrameEncoding.DefaultJpeg);
        var still = await ImageStream.CreateAsync(Runtime, streamOptions, _cancellationToken).ConfigureAwait(false);
        var moving = await ImageStream.CreateAsync(Runtime, streamOptions, _cancellationToken).ConfigureAwait(false);
        try
        {
            var total = _options.Warmup + _options.FilterFrames;
            long stillCalls = 0;
            long movingCalls = 0;
            for (var i = 0; i < total; i++)
            {
                if (i == _options.Warmup)
                {
                    stillCalls = still.UNetCalls;
                    movingCalls = moving.UNetCalls;
                }

                await still.ProcessFrameAsync(Frames.Jpeg[0], FrameDescriptor.Jpeg, _cancellationToken).ConfigureAwait(false);
                await moving.ProcessFrameAsync(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, _cancellationToken).ConfigureAwait(false);
                Report((double)(i + 1) / total);
            }

            // A warm Stream Batch stream makes exactly one UNet call per processed frame, so without the
            // filter these frames would have cost FilterFrames calls.
            stillCalls = still.UNetCalls - stillCalls;
            movingCalls = moving.UNetCalls - movingCalls;
            var similarity = 0.0;
            for (var i = _options.Warmup; i < total; i++)
            {
                similarity += SimilarityFilter.CosineSimilarity(Frames.Tensors[(i - 1) % Frames.Count], Frames.Tensors[i % Frames.Count]);
            }

            _details.Add(new BenchmarkDetail("filter, static input: UNet calls (of one per frame without filter)", stillCalls, $"of {_options.FilterFrames}"));
            _details.Add(new BenchmarkDetail("filter, moving input: UNet calls (of one per frame without filter)", movingCalls, $"of {_options.FilterFrames}"));
            _details.Add(new BenchmarkDetail("moving input: mean cosine similarity of consecutive frames", similarity / _options.FilterFrames, string.Empty));
            return (1 - ((double)stillCalls / _options.FilterFrames), 1 - ((double)movingCalls / _options.FilterFrames));
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
        var stream = await ImageStream.CreateAsync(Runtime, StreamOptions(filter: false, new FrameEncoding { Format = FrameFormat.Rgb24 }), _cancellationToken).ConfigureAwait(false);
        try
        {
            var descriptor = FrameDescriptor.Rgb24(Size, Size);
            for (var i = 0; i < _options.Warmup; i++)
            {
                await stream.ProcessFrameAsync(Frames.Raw[i % Frames.Count], descriptor, _cancellationToken).ConfigureAwait(false);
            }

            Report(0.2);
            var denoiserBefore = Runtime.Denoiser.GetStats();
            var codecBefore = Runtime.Codec.GetStats();
            var onnxBefore = _timer.Ticks;
            var conversionMs = 0.0;
            var start = Stopwatch.GetTimestamp();
            for (var i = _options.Warmup; i < _options.Warmup + _options.Frames; i++)
            {
                var result = await stream.ProcessFrameAsync(Frames.Raw[i % Frames.Count], descriptor, _cancellationToken).ConfigureAwait(false);
                conversionMs += result.Timings.DecodeMs + result.Timings.EncodeMs;
            }

            var wall = Stopwatch.GetTimestamp() - start;
            var onnx = _timer.Ticks - onnxBefore;

            // Submission to start of the model call, summed over the frame's three engine requests: mostly
            // the engine thread's wake-up, which on a busy machine waits for a time slice.
            var queueWait = Runtime.Denoiser.GetStats().TotalQueueWait - denoiserBefore.TotalQueueWait
                + (Runtime.Codec.GetStats().TotalQueueWait - codecBefore.TotalQueueWait);
            var frameMs = Seconds(wall) * 1000 / _options.Frames;
            var onnxMs = Seconds(onnx) * 1000 / _options.Frames;
            _details.Add(new BenchmarkDetail("single stream, raw in/out: frame time", frameMs, "ms"));
            _details.Add(new BenchmarkDetail("single stream, raw in/out: inside ONNX sessions", onnxMs, "ms"));
            _details.Add(new BenchmarkDetail("single stream: RGB24 <-> tensor conversion (part of the overhead)", conversionMs / _options.Frames, "ms"));
            _details.Add(new BenchmarkDetail("single stream: engine hand-off wait (part of the overhead)", queueWait.TotalMilliseconds / _options.Frames, "ms"));
            _details.Add(new BenchmarkDetail("overhead share of a frame", frameMs > 0 ? 100 * (frameMs - onnxMs) / frameMs : 0, "%"));
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
        var stream = await ImageStream.CreateAsync(Runtime, StreamOptions(filter: false, FrameEncoding.DefaultJpeg), _cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < _options.Warmup; i++)
            {
                await stream.ProcessFrameAsync(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, _cancellationToken).ConfigureAwait(false);
            }

            Report(0.2);

            // No progress reports inside the window: the display's allocations would be counted too.
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = _options.Warmup; i < _options.Warmup + _options.Frames; i++)
            {
                await stream.ProcessFrameAsync(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, _cancellationToken).ConfigureAwait(false);
            }

            var after = GC.GetTotalAllocatedBytes(precise: true);
            return (double)(after - before) / _options.Frames;
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
        var total = _options.Warmup + _options.Frames;
        long ticks = 0;
        for (var i = 0; i < total; i++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            decoder.Decode(Frames.Jpeg[i % Frames.Count], FrameDescriptor.Jpeg, tensor);
            encoder.Encode(tensor, Size, Size, FrameEncoding.DefaultJpeg);
            if (i >= _options.Warmup)
            {
                ticks += Stopwatch.GetTimestamp() - start;
            }
        }

        Report(1);
        return Seconds(ticks) * 1000 / _options.Frames;
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
                shared[s] = await ImageStream.CreateAsync(Runtime, streamOptions with { Seed = s + 2 }, _cancellationToken).ConfigureAwait(false);
                separateRuntimes[s] = NewRuntime(Batching(1));
                separate[s] = await ImageStream.CreateAsync(separateRuntimes[s], streamOptions with { Seed = s + 2 }, _cancellationToken).ConfigureAwait(false);
                if (oneWorkerRuntime is not null)
                {
                    oneWorker[s] = await ImageStream.CreateAsync(oneWorkerRuntime, streamOptions with { Seed = s + 2 }, _cancellationToken).ConfigureAwait(false);
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
            _details.Add(new BenchmarkDetail($"4 streams, one shared engine (micro-batched, {workers} worker{(workers == 1 ? string.Empty : "s")})", Streams * timing.FramesPerSecond(0), "frames/s"));
            _details.Add(new BenchmarkDetail("4 streams, shared engine: mean UNet batch", calls == 0 ? 0 : (double)(stats.Items - statsBefore.Items) / calls, "items"));
            _details.Add(new BenchmarkDetail("4 streams, shared engine: UNet calls overlapping another", calls == 0 ? 0 : 100.0 * (stats.OverlappingCalls - statsBefore.OverlappingCalls) / calls, "%"));
            _details.Add(new BenchmarkDetail("4 streams, an engine each (MaxBatch 1)", Streams * timing.FramesPerSecond(1), "frames/s"));
            if (oneWorkerRuntime is not null)
            {
                var single = oneWorkerRuntime.Denoiser.GetStats();
                _details.Add(new BenchmarkDetail("4 streams, one shared engine with 1 worker", Streams * timing.FramesPerSecond(2), "frames/s"));
                _details.Add(new BenchmarkDetail("4 streams, shared engine with 1 worker: mean UNet batch", single.AverageBatchSize, "items"));
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
                        await stream.ProcessFrameAsync(Frames.Jpeg[(i + offset) % Frames.Count], FrameDescriptor.Jpeg, _cancellationToken).ConfigureAwait(false);
                    }
                },
                _cancellationToken);
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
            await contender(0, _options.Warmup).ConfigureAwait(false);
        }

        var timing = new InterleavedTiming(contenders.Count);
        var done = 0;
        var round = 0;
        while (done < _options.Frames)
        {
            var chunk = Math.Min(_options.ChunkFrames, _options.Frames - done);
            var ticks = new long[contenders.Count];

            // Alternate who goes first, so neither contender always runs right after the other's work.
            for (var k = 0; k < contenders.Count; k++)
            {
                var c = (k + round) % contenders.Count;
                _cancellationToken.ThrowIfCancellationRequested();
                var start = Stopwatch.GetTimestamp();
                await contenders[c](_options.Warmup + done, chunk).ConfigureAwait(false);
                ticks[c] = Stopwatch.GetTimestamp() - start;
            }

            timing.Add(ticks, chunk);
            done += chunk;
            round++;
            Report(from + ((to - from) * done / _options.Frames));
        }

        return timing;
    }

    private float[] Latent(int frame) => _latents[frame % _latents.Length];

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
        _phase = index;
        Report(0);
    }

    private void Report(double fraction) =>
        _progress?.Invoke(new BenchmarkProgress(s_phaseNames[_phase], _phase, s_phaseNames.Length, Math.Clamp(fraction, 0, 1)));

    private async Task CleanUpAsync()
    {
        if (_runtime is not null)
        {
            await _runtime.DisposeAsync().ConfigureAwait(false);
        }

        _pack?.Dispose();
        if (_temporaryPack is not null && Directory.Exists(_temporaryPack))
        {
            try
            {
                Directory.Delete(_temporaryPack, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
