using System.Diagnostics;
using System.Globalization;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// What every measurement of <see cref="PipelineBenchmark"/> shares: the loaded pack behind timing
/// decorators, the engines built on them, the frames and their latents, the prompts, the interleaved
/// timing loop, progress and the detail rows of the report.
/// </summary>
internal sealed class BenchmarkContext : IAsyncDisposable
{
    /// <summary>Concurrent streams of the engine measurements.</summary>
    public const int Streams = 4;

    public const float Guidance = 1.2f;
    public const double FilterThreshold = 0.98;
    public const int FilterMaxSkip = 10;
    public const string Prompt = "an astronaut in a garden, studio photo";
    public const string NegativePrompt = "blurry, low quality";

    private readonly Action<BenchmarkProgress>? _progress;
    private readonly IReadOnlyList<string> _phases;
    private string? _temporaryPack;
    private ModelPack? _pack;
    private INoisePredictor? _timedUnet;
    private ILatentCodec? _timedCodec;
    private TextEncodeFunction? _timedTextEncoder;
    private ModelRuntime? _runtime;
    private BenchmarkFrames? _frames;
    private float[][] _latents = [];
    private int _phase;

    public BenchmarkContext(BenchmarkOptions options, IReadOnlyList<string> phases, Action<BenchmarkProgress>? progress, CancellationToken cancellationToken)
    {
        Options = options;
        _phases = phases;
        _progress = progress;
        CancellationToken = cancellationToken;
    }

    public static int[] TwoSteps { get; } = [32, 45];

    public static int[] FourSteps { get; } = [0, 16, 32, 45];

    public BenchmarkOptions Options { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Time inside the model sessions, summed over every thread.</summary>
    public OnnxTimer Timer { get; } = new();

    /// <summary>Rows of the readable table.</summary>
    public List<BenchmarkDetail> Details { get; } = [];

    public ModelPack Pack => _pack!;

    /// <summary>The shared runtime: engines over the timed models, MaxBatch for four streams of n = 2.</summary>
    public ModelRuntime Runtime => _runtime!;

    public BenchmarkFrames Frames => _frames!;

    public float[] Positive { get; private set; } = [];

    public float[] Negative { get; private set; } = [];

    public int Size => Options.Size;

    public LatentShape LatentShape => new(1, 4, Size / 8, Size / 8);

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    public static void CheckCalls(long actual, long expected, string what)
    {
        // A wrong count would mean the comparison did not measure what its name says.
        if (actual != expected)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected} UNet calls, counted {actual}"));
        }
    }

    /// <summary>Loads (or synthesizes) the pack, builds the shared runtime, the frames, their latents and the prompt embeddings.</summary>
    public async Task LoadAsync()
    {
        var directory = Options.ModelDirectory;
        if (directory is null)
        {
            // A private pack per run: the compute knobs differ from the host's default pack, and a temp folder cannot go stale.
            _temporaryPack = Path.Combine(Path.GetTempPath(), "streamdiffusion-bench-" + Guid.NewGuid().ToString("N"));
            SyntheticPackWriter.Write(_temporaryPack, new SyntheticPackOptions
            {
                Family = SyntheticFamily.SdTurbo,
                ImageSize = Size,
                Taesd = true,
                ComputeLayers = Options.ComputeLayers,
                ComputeChannels = Options.ComputeChannels,
            });
            directory = _temporaryPack;
        }

        _pack = ModelPack.Load(directory, Options.PackOptions);
        _timedUnet = new TimedNoisePredictor(_pack.Unet, Timer);
        _timedCodec = new TimedLatentCodec(_pack.Codec, Timer);
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
                Timer.Stop(start);
            }
        };
        _runtime = NewRuntime(Batching(Streams * TwoSteps.Length));

        var count = Options.Warmup + Math.Max(Options.Frames, Options.FilterFrames);
        _frames = BenchmarkFrames.Create(Options.PhotoPath, Size, count);
        _latents = new float[count][];
        var shape = LatentShape;
        for (var i = 0; i < count; i++)
        {
            _latents[i] = new float[shape.Length];
            await Runtime.Codec.EncodeAsync(Frames.Tensors[i], 1, Size, Size, _latents[i], CancellationToken).ConfigureAwait(false);
        }

        Positive = await Runtime.EncodePromptAsync(Prompt, CancellationToken).ConfigureAwait(false);
        Negative = await Runtime.EncodePromptAsync(NegativePrompt, CancellationToken).ConfigureAwait(false);
    }

    // The host's defaults for the pack's provider (BatchingOptions.ForProvider: four workers on the CPU,
    // one on a GPU), so the shared engine is measured as the host runs it.
    public BatchingOptions Batching(int maxBatch) => BatchingOptions.ForProvider(Pack.Provider) with { MaxBatch = maxBatch };

    /// <summary>A runtime over the same timed models with other engine settings (the caller disposes it).</summary>
    public ModelRuntime NewRuntime(BatchingOptions batching) =>
        new(Pack, _timedUnet!, _timedCodec!, _timedTextEncoder!, batching, ownsPack: false);

    public StreamSettings Settings(int[] tIndex, CfgMode mode) => new()
    {
        PromptEmbedding = Positive,
        NegativePromptEmbedding = Negative,
        TIndexList = tIndex,
        CfgMode = mode,
        GuidanceScale = Guidance,
        Seed = 2,
    };

    public ImageStreamOptions StreamOptions(bool filter, FrameEncoding output, long seed = 2) => new()
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

    public float[] Latent(int frame) => _latents[frame % _latents.Length];

    public async Task PerFrameAsync(int start, int count, Func<int, ValueTask> step)
    {
        for (var i = start; i < start + count; i++)
        {
            await step(i).ConfigureAwait(false);
        }
    }

    /// <summary>Runs every stream on its own task over frames [start, start + count) of its stretch of the pan.</summary>
    public Task RunStreamsAsync(ImageStream[] streams, int start, int count)
    {
        var loops = new Task[streams.Length];
        for (var s = 0; s < streams.Length; s++)
        {
            var stream = streams[s];

            // Each stream sees its own stretch of the pan; every contender sees the same stretches.
            var offset = s * 7;
            loops[s] = Task.Run(
                async () =>
                {
                    for (var i = start; i < start + count; i++)
                    {
                        await stream.ProcessFrameAsync(Frames.Jpeg[(i + offset) % Frames.Count], FrameDescriptor.Jpeg, CancellationToken).ConfigureAwait(false);
                    }
                },
                CancellationToken);
        }

        return Task.WhenAll(loops);
    }

    /// <summary>
    /// Warms every contender up, then times <see cref="BenchmarkOptions.Frames"/> frames of each in
    /// rounds of <see cref="BenchmarkOptions.ChunkFrames"/>, contenders taking turns.
    /// </summary>
    public async Task<InterleavedTiming> MeasureAsync(IReadOnlyList<Func<int, int, Task>> contenders, double from, double to)
    {
        foreach (var contender in contenders)
        {
            await contender(0, Options.Warmup).ConfigureAwait(false);
        }

        var timing = new InterleavedTiming(contenders.Count);
        var done = 0;
        var round = 0;
        while (done < Options.Frames)
        {
            var chunk = Math.Min(Options.ChunkFrames, Options.Frames - done);
            var ticks = new long[contenders.Count];

            // Alternate who goes first, so neither contender always runs right after the other's work.
            for (var k = 0; k < contenders.Count; k++)
            {
                var c = (k + round) % contenders.Count;
                CancellationToken.ThrowIfCancellationRequested();
                var start = Stopwatch.GetTimestamp();
                await contenders[c](Options.Warmup + done, chunk).ConfigureAwait(false);
                ticks[c] = Stopwatch.GetTimestamp() - start;
            }

            timing.Add(ticks, chunk);
            done += chunk;
            round++;
            Report(from + ((to - from) * done / Options.Frames));
        }

        return timing;
    }

    public void StartPhase(int index)
    {
        _phase = index;
        Report(0);
    }

    public void Report(double fraction) =>
        _progress?.Invoke(new BenchmarkProgress(_phases[_phase], _phase, _phases.Count, Math.Clamp(fraction, 0, 1)));

    public async ValueTask DisposeAsync()
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
