using System.Diagnostics;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// One live stream on a loaded model (DESIGN.md section 2): decode → fit to the model size →
/// similarity filter (skip: return the previous output, no VAE/UNet work) → latent encode →
/// Stream Batch step through the model's engine → latent decode → encode. Buffers are allocated
/// once per stream; calls must not overlap (one session loop drives a stream), and live updates
/// are applied between frames by the same loop.
/// </summary>
public sealed class ImageStream : IAsyncDisposable
{
    private readonly ModelRuntime _runtime;
    private readonly FrameDecoder _decoder;
    private readonly FrameEncoder _encoder = new();
    private readonly SimilarityFilter _filter;
    private readonly StreamBatchDenoiser _denoiser;
    private readonly ClientRegistration[] _registrations;
    // Pinned, so that a lone stream's codec calls read and write them directly (no staging copies).
    private readonly PinnedBuffer<float> _images;
    private readonly PinnedBuffer<float> _latents;
    private readonly PinnedBuffer<float> _denoised;
    private readonly PinnedBuffer<float> _outputs;
    private EncodedFrame _lastOutput;
    private bool _hasOutput;
    private long _frames;
    private long _skipped;

    private ImageStream(ModelRuntime runtime, ImageStreamOptions options, StreamSettings settings)
    {
        _runtime = runtime;
        Options = options;
        var f = options.FrameBuffer;
        var latentShape = new LatentShape(f, 4, options.Height / 8, options.Width / 8);
        _images = new PinnedBuffer<float>(f * 3 * options.Width * options.Height);
        _outputs = new PinnedBuffer<float>(_images.Length);
        _latents = new PinnedBuffer<float>(latentShape.Length);
        _denoised = new PinnedBuffer<float>(latentShape.Length);
        _decoder = new FrameDecoder(new FrameDecoderOptions
        {
            Width = options.Width,
            Height = options.Height,
            Fit = options.Fit,
            MaxSourceWidth = options.MaxInputWidth,
            MaxSourceHeight = options.MaxInputHeight,
        });
        _filter = new SimilarityFilter(options.Seed, options.Filter);
        _denoiser = new StreamBatchDenoiser(runtime.Denoiser, runtime.Scheduler, latentShape, settings);
        _registrations = [runtime.Denoiser.RegisterClient(), runtime.Codec.RegisterClient()];
    }

    /// <summary>Current options (after every applied update).</summary>
    public ImageStreamOptions Options { get; private set; }

    /// <summary>Frames handled (processed or skipped).</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames the similarity filter skipped.</summary>
    public long SkippedFrames => Interlocked.Read(ref _skipped);

    /// <summary>UNet calls this stream submitted (its share of engine calls).</summary>
    public long UNetCalls => _denoiser.UNetCalls;

    /// <summary>UNet items this stream submitted.</summary>
    public long UNetItems => _denoiser.UNetItems;

    /// <summary>The Stream Batch denoiser (for tests and diagnostics).</summary>
    public StreamBatchDenoiser Denoiser => _denoiser;

    /// <summary>Creates a stream: validates the options and encodes its prompts once.</summary>
    public static async Task<ImageStream> CreateAsync(ModelRuntime runtime, ImageStreamOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (runtime.Pack.Unet.IsVideo)
        {
            throw new ArgumentException($"model: {runtime.Pack.Directory} is a video denoiser; image streams need an image UNet", nameof(options));
        }

        var settings = await BuildSettingsAsync(runtime, options, cancellationToken).ConfigureAwait(false);
        return new ImageStream(runtime, options, settings);
    }

    /// <summary>
    /// Runs one encoded input frame (JPEG, PNG, raw) through the pipeline. Bad input throws
    /// <see cref="FrameFormatException"/> and leaves the stream as it was.
    /// </summary>
    public async ValueTask<StreamFrameResult> ProcessFrameAsync(ReadOnlyMemory<byte> data, FrameDescriptor descriptor, CancellationToken cancellationToken = default)
    {
        if (Options.FrameBuffer != 1)
        {
            throw new InvalidOperationException("ProcessFrameAsync handles one frame per call; use ProcessTensorsAsync for a frame buffer > 1");
        }

        var t0 = Stopwatch.GetTimestamp();
        _decoder.Decode(data.Span, descriptor, _images.Span);
        var t1 = Stopwatch.GetTimestamp();
        var skip = Options.Mode == StreamMode.Img2Img && _hasOutput && _filter.ShouldSkip(_images.Span);
        var t2 = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _frames);
        if (skip)
        {
            Interlocked.Increment(ref _skipped);
            return new StreamFrameResult(_lastOutput, true, new StreamFrameTimings(Ms(t0, t1), Ms(t1, t2), 0, 0, 0, 0));
        }

        if (!_hasOutput && Options.Mode == StreamMode.Img2Img)
        {
            // The first frame becomes the filter's reference.
            _filter.ShouldSkip(_images.Span);
        }

        var (encodeMs, denoiseMs, decodeMs) = await RunAsync(cancellationToken).ConfigureAwait(false);
        var t3 = Stopwatch.GetTimestamp();
        _lastOutput = _encoder.Encode(_outputs.Span, Options.Width, Options.Height, Options.Output);
        _hasOutput = true;
        var t4 = Stopwatch.GetTimestamp();
        return new StreamFrameResult(_lastOutput, false, new StreamFrameTimings(Ms(t0, t1), Ms(t1, t2), encodeMs, denoiseMs, decodeMs, Ms(t3, t4)));
    }

    /// <summary>txt2img: generates the next frame from noise under the current prompt.</summary>
    public async ValueTask<StreamFrameResult> GenerateFrameAsync(CancellationToken cancellationToken = default)
    {
        if (Options.Mode != StreamMode.Txt2Img)
        {
            throw new InvalidOperationException("GenerateFrameAsync needs a txt2img stream");
        }

        Interlocked.Increment(ref _frames);
        var (encodeMs, denoiseMs, decodeMs) = await RunAsync(cancellationToken).ConfigureAwait(false);
        var t3 = Stopwatch.GetTimestamp();
        _lastOutput = _encoder.Encode(_outputs.Span.Slice(0, 3 * Options.Width * Options.Height), Options.Width, Options.Height, Options.Output);
        _hasOutput = true;
        return new StreamFrameResult(_lastOutput, false, new StreamFrameTimings(0, 0, encodeMs, denoiseMs, decodeMs, Ms(t3, Stopwatch.GetTimestamp())));
    }

    /// <summary>
    /// Runs f already-decoded frames ([f,3,H,W] in [−1,1]) and writes f outputs. With f = 1 the
    /// similarity filter applies; returns true when the frame was skipped (output = previous output).
    /// </summary>
    public async ValueTask<bool> ProcessTensorsAsync(ReadOnlyMemory<float> input, Memory<float> output, CancellationToken cancellationToken = default)
    {
        if (input.Length != _images.Length || output.Length != _outputs.Length)
        {
            throw new ArgumentException($"expected {Options.FrameBuffer} frames of 3x{Options.Height}x{Options.Width} in and out");
        }

        input.Span.CopyTo(_images.Span);
        Interlocked.Add(ref _frames, Options.FrameBuffer);
        if (Options.Mode == StreamMode.Img2Img && Options.FrameBuffer == 1)
        {
            var skip = _filter.ShouldSkip(_images.Span) && _hasOutput;
            if (skip)
            {
                Interlocked.Increment(ref _skipped);
                _outputs.Span.CopyTo(output.Span);
                return true;
            }
        }

        await RunAsync(cancellationToken).ConfigureAwait(false);
        _hasOutput = true;
        _outputs.Span.CopyTo(output.Span);
        return false;
    }

    /// <summary>Applies a live update from the next frame on; invalid values throw and change nothing.</summary>
    public async ValueTask UpdateAsync(StreamUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var next = update.ApplyTo(Options);
        next.Validate();
        var settings = await BuildSettingsAsync(_runtime, next, cancellationToken).ConfigureAwait(false);
        _denoiser.Settings = settings;
        _filter.Settings = next.Filter;
        if (next.Output != Options.Output && _hasOutput)
        {
            // A skipped frame re-sends the last output; make it honour the new encoding too.
            _lastOutput = _encoder.Encode(_outputs.Span.Slice(0, 3 * next.Width * next.Height), next.Width, next.Height, next.Output);
        }

        Options = next;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _decoder.Dispose();
        _encoder.Dispose();
        return ValueTask.CompletedTask;
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static async Task<StreamSettings> BuildSettingsAsync(ModelRuntime runtime, ImageStreamOptions options, CancellationToken cancellationToken)
    {
        float[] prompt;
        if (options.Prompts is { Count: > 0 } prompts)
        {
            var weighted = new List<WeightedEmbedding>(prompts.Count);
            foreach (var p in prompts)
            {
                weighted.Add(new WeightedEmbedding(await runtime.EncodePromptAsync(p.Text, cancellationToken).ConfigureAwait(false), p.Weight));
            }

            prompt = weighted.Count == 1 ? weighted[0].Embedding : PromptBlend.Blend(weighted, runtime.HiddenSize);
        }
        else
        {
            prompt = await runtime.EncodePromptAsync(options.Prompt, cancellationToken).ConfigureAwait(false);
        }

        var negative = await runtime.EncodePromptAsync(options.NegativePrompt, cancellationToken).ConfigureAwait(false);
        return new StreamSettings
        {
            PromptEmbedding = prompt,
            NegativePromptEmbedding = negative,
            TIndexList = options.TIndexList.ToArray(),
            CfgMode = options.Cfg,
            GuidanceScale = options.Guidance,
            Delta = options.Delta,
            Seed = options.Seed,
            SeedBlend = options.SeedBlend?.ToArray(),
            NoiseMode = options.Noise,
        };
    }

    private async ValueTask<(double EncodeMs, double DenoiseMs, double DecodeMs)> RunAsync(CancellationToken cancellationToken)
    {
        var f = Options.FrameBuffer;
        var t0 = Stopwatch.GetTimestamp();
        if (Options.Mode == StreamMode.Img2Img)
        {
            await _runtime.Codec.EncodeAsync(_images, f, Options.Height, Options.Width, _latents, cancellationToken).ConfigureAwait(false);
        }

        var t1 = Stopwatch.GetTimestamp();
        if (Options.Mode == StreamMode.Img2Img)
        {
            await _denoiser.DenoiseAsync(_latents.Memory, _denoised.Memory, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _denoiser.GenerateAsync(_denoised.Memory, cancellationToken).ConfigureAwait(false);
        }

        var t2 = Stopwatch.GetTimestamp();
        await _runtime.Codec.DecodeAsync(_denoised, f, Options.Height, Options.Width, _outputs, cancellationToken).ConfigureAwait(false);
        var t3 = Stopwatch.GetTimestamp();
        return (Ms(t0, t1), Ms(t1, t2), Ms(t2, t3));
    }
}
