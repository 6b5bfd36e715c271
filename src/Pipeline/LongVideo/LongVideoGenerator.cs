using System.Diagnostics;
using System.Numerics.Tensors;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// Unbounded text-to-video on a loaded model: a <see cref="FifoQueue"/> denoised through the model's engines
/// (so it shares the UNet with live img2img sessions), one output frame per iteration, for as long as the
/// caller asks. Start-up samples a short clip of f frames by ordinary DDIM over the queue's levels and noises
/// it to the queue's diagonal levels (FIFO-Diffusion's initialisation). Prompts travel by keyframes and by
/// <see cref="ChangePrompt"/>: frames already queued finish under a blend of old and new embedding, weighted
/// by their distance from the head, so a change arrives over the queue length, never as a cut.
/// Not thread-safe, except <see cref="ChangePrompt"/>, which may be called from any thread.
/// </summary>
public sealed class LongVideoGenerator : IAsyncDisposable
{
    private readonly ModelRuntime _runtime;
    private readonly FifoQueue _queue;
    private readonly FifoSchedule _schedule;
    private readonly CoherentTailSampler? _tail;
    private readonly SubjectMemory? _memory;
    private readonly GaussianNoiseGenerator _noise;
    private readonly IReadOnlyList<VideoPromptKeyframe> _keyframes;
    private readonly float[][] _keyframeEmbeddings;
    private readonly string[] _slotPrompts;
    private readonly float[] _headLatent;
    private readonly float[] _newTail;
    private readonly ClientRegistration _denoiserClient;
    private readonly ClientRegistration _codecClient;
    private readonly long _startedTimestamp;
    private readonly object _pendingGate = new();
    private (string Text, float[] Embedding)? _pending;
    private (string Text, float[] Embedding)? _live;
    private long _nextIndex;

    private LongVideoGenerator(ModelRuntime runtime, LongVideoOptions options, float[][] keyframeEmbeddings, long startedTimestamp)
    {
        _runtime = runtime;
        Options = options;
        _startedTimestamp = startedTimestamp;
        _keyframes = options.Prompts;
        _keyframeEmbeddings = keyframeEmbeddings;
        _schedule = new FifoSchedule(runtime.Scheduler.Schedule, options.Window, options.Partitions, options.Lookahead, runtime.Scheduler);
        var frame = new LatentShape(1, 4, options.Height / 8, options.Width / 8);
        _queue = new FifoQueue(_schedule, frame, runtime.EmbeddingLength, runtime.Pack.Unet.IsVideo, options.Sampler, options.Seed);
        _tail = options.CoherentTail ? new CoherentTailSampler(4, frame.Height, frame.Width, options.Seed, options.TailCutoff) : null;
        _noise = new GaussianNoiseGenerator(options.Seed, 0x51554555);
        if (options.SubjectGuidance)
        {
            // The noisier half of the queue is guided: there x̂₀ is still vague and a nudge shapes the subject;
            // the cleaner half keeps its own detail.
            _memory = new SubjectMemory(4, frame.Height, frame.Width, options.GuidanceMomentum, options.GuidanceStep);
            _queue.UseGuidance(_memory, _schedule.Levels / 2);
        }

        _slotPrompts = new string[_schedule.SlotCount];
        _headLatent = new float[_queue.FrameLength];
        _newTail = new float[_queue.FrameLength];
        _denoiserClient = runtime.Denoiser.RegisterClient();
        _codecClient = runtime.Codec.RegisterClient();
    }

    /// <summary>The settings in force.</summary>
    public LongVideoOptions Options { get; }

    /// <summary>The queue (for diagnostics and measurement).</summary>
    public FifoQueue Queue => _queue;

    /// <summary>The subject memory when guidance is on, else null.</summary>
    public SubjectMemory? Memory => _memory;

    /// <summary>Floats of one latent frame.</summary>
    public int LatentLength => _queue.FrameLength;

    /// <summary>Floats of one output image [3, H, W].</summary>
    public int ImageLength => 3 * Options.Width * Options.Height;

    /// <summary>Denoiser items each output frame costs (f per window; 2L with lookahead, L without).</summary>
    public int ItemsPerFrame => _schedule.ItemsPerIteration;

    /// <summary>Time from the start of <see cref="CreateAsync"/> to the first frame out; null before it.</summary>
    public TimeSpan? TimeToFirstFrame { get; private set; }

    /// <summary>Time start-up (sampling and noising the initial clip) took.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Frames emitted so far.</summary>
    public long FramesEmitted => _nextIndex;

    /// <summary>Encodes the prompts, samples the initial clip and fills the queue.</summary>
    public static async Task<LongVideoGenerator> CreateAsync(ModelRuntime runtime, LongVideoOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        var started = Stopwatch.GetTimestamp();
        options.Validate();
        var embeddings = new float[options.Prompts.Count][];
        for (int i = 0; i < embeddings.Length; i++)
        {
            embeddings[i] = await runtime.EncodePromptAsync(options.Prompts[i].Text, cancellationToken).ConfigureAwait(false);
        }

        var generator = new LongVideoGenerator(runtime, options, embeddings, started);
        try
        {
            await generator.StartAsync(cancellationToken).ConfigureAwait(false);
            return generator;
        }
        catch
        {
            await generator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Changes the prompt while the video runs: from the next iteration, queued frames blend toward it by
    /// (level + 1)/L and every new frame takes it fully (it overrides the remaining keyframes).
    /// </summary>
    public async Task ChangePromptAsync(string prompt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        var embedding = await _runtime.EncodePromptAsync(prompt, cancellationToken).ConfigureAwait(false);
        ChangePrompt(prompt, embedding);
    }

    /// <summary>As <see cref="ChangePromptAsync"/> with an embedding already encoded.</summary>
    public void ChangePrompt(string prompt, float[] embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (embedding.Length != _queue.EmbeddingLength)
        {
            throw new ArgumentException($"embedding holds {embedding.Length} floats, expected {_queue.EmbeddingLength}", nameof(embedding));
        }

        lock (_pendingGate)
        {
            _pending = (prompt, embedding);
        }
    }

    /// <summary>
    /// One FIFO iteration: denoises the queue, decodes the head into <paramref name="image"/> ([3, H, W] in [−1, 1]),
    /// optionally copies its clean latent to <paramref name="latent"/>, and enqueues a new tail.
    /// Cancelling leaves the queue as it was.
    /// </summary>
    public async ValueTask<LongVideoFrame> NextFrameAsync(Memory<float> image, Memory<float> latent = default, CancellationToken cancellationToken = default)
    {
        if (image.Length != ImageLength)
        {
            throw new ArgumentException($"image buffer holds {image.Length} floats, expected {ImageLength}", nameof(image));
        }

        ApplyPendingPrompt();
        var started = Stopwatch.GetTimestamp();
        await _queue.IterateAsync(_runtime.Denoiser, cancellationToken).ConfigureAwait(false);
        var denoised = Stopwatch.GetTimestamp();
        _queue.CopyHead(_headLatent);
        _memory?.Update(_headLatent);
        var prompt = _slotPrompts[_schedule.HeadSlot];
        Advance();
        if (!latent.IsEmpty)
        {
            _headLatent.CopyTo(latent.Span);
        }

        await _runtime.Codec.DecodeAsync(_headLatent, 1, Options.Height, Options.Width, image, cancellationToken).ConfigureAwait(false);
        var index = _nextIndex++;
        TimeToFirstFrame ??= Stopwatch.GetElapsedTime(_startedTimestamp);
        return new LongVideoFrame(index, prompt, Stopwatch.GetElapsedTime(started, denoised).TotalMilliseconds, Stopwatch.GetElapsedTime(denoised).TotalMilliseconds);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _denoiserClient.Dispose();
        _codecClient.Dispose();
        _tail?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Dequeues the head and enqueues the next tail (coherent or pure noise) under its prompt.</summary>
    private void Advance()
    {
        var tailSlot = _schedule.TailSlot;
        var levels = _schedule.Levels;
        var schedule = _schedule.Schedule;
        if (_tail is not null)
        {
            // The latent last at the tail has just been denoised one level; it seeds the new tail's low band.
            var sourceLevel = Math.Max(0, levels - 2);
            _tail.Sample(_queue.Slot(tailSlot), _schedule.Timesteps[sourceLevel], _schedule.Timesteps[levels - 1], schedule, _newTail);
        }

        _queue.Shift();
        Array.Copy(_slotPrompts, 1, _slotPrompts, 0, _slotPrompts.Length - 1);
        var tail = _queue.Slot(tailSlot);
        if (_tail is not null)
        {
            _newTail.CopyTo(tail);
        }
        else
        {
            _noise.Fill(tail);
        }

        var frameIndex = _nextIndex + 1 + levels - 1;
        _slotPrompts[tailSlot] = PromptFor(frameIndex, _queue.Embedding(tailSlot));
        _queue.MarkEntered(tailSlot);
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var f = _schedule.Window;
        var levels = _schedule.Levels;
        var n = _queue.FrameLength;
        var embeddingLength = _queue.EmbeddingLength;
        var schedule = _schedule.Schedule;

        // Ordinary sampling of f frames over the same L levels, all frames at the same level each step,
        // under the first frame's prompt.
        var clip = new float[f * n];
        _noise.Fill(clip);
        var request = new float[f * n];
        var epsilon = new float[f * n];
        var timesteps = new float[f];
        var firstEmbedding = new float[embeddingLength];
        var firstPrompt = PromptFor(0, firstEmbedding);
        var video = _queue.IsVideo;
        var embeddings = new float[(video ? 1 : f) * embeddingLength];
        for (int i = 0; i < embeddings.Length; i += embeddingLength)
        {
            firstEmbedding.CopyTo(embeddings.AsSpan(i));
        }

        var shape = video
            ? new LatentShape(1, 4, _queue.Frame.Height, _queue.Frame.Width) { Frames = f }
            : new LatentShape(f, 4, _queue.Frame.Height, _queue.Frame.Width);
        var plane = _queue.Frame.Height * _queue.Frame.Width;
        var fresh = new float[n];
        for (int level = levels - 1; level >= 0; level--)
        {
            var t = _schedule.Timesteps[level];
            timesteps.AsSpan().Fill(t);
            Layout(clip, request, f, plane, toClip: video);
            await _runtime.Denoiser.PredictNoiseAsync(request, timesteps, embeddings, epsilon, shape, cancellationToken).ConfigureAwait(false);
            Layout(epsilon, request, f, plane, toClip: false, fromClip: video);
            for (int j = 0; j < f; j++)
            {
                var x = clip.AsSpan(j * n, n);
                var e = request.AsSpan(j * n, n);
                schedule.ConvertToEpsilon(x, e, t);
                if (Options.Sampler == FifoSampler.Ddim)
                {
                    _schedule.Ddim(level).Apply(x, e, x);
                }
                else
                {
                    LcmScheduler.Step(x, e, _schedule.Lcm(level), x);
                    if (level > 0)
                    {
                        _noise.Fill(fresh);
                        _runtime.Scheduler.AddNoise(x, fresh, _schedule.Timesteps[level - 1], x);
                    }
                }
            }
        }

        // FIFO-Diffusion's prepare_latents: level i holds clip frame max(0, i − (L − f)) noised to ts[i];
        // context slots (lookahead) hold the clean first frame.
        for (int slot = 0; slot < _schedule.SlotCount; slot++)
        {
            var level = _schedule.LevelOf(slot);
            var source = clip.AsSpan(Math.Max(0, level - (levels - f)) * n, n);
            var destination = _queue.Slot(slot);
            if (slot < _schedule.HeadSlot)
            {
                clip.AsSpan(0, n).CopyTo(destination);
            }
            else
            {
                _noise.Fill(fresh);
                _runtime.Scheduler.AddNoise(source, fresh, _schedule.Timesteps[level], destination);
            }

            _slotPrompts[slot] = slot < _schedule.HeadSlot ? firstPrompt : PromptFor(level, _queue.Embedding(slot));
            if (slot < _schedule.HeadSlot)
            {
                firstEmbedding.CopyTo(_queue.Embedding(slot));
            }

            _queue.MarkEntered(slot);
        }

        StartupTime = Stopwatch.GetElapsedTime(_startedTimestamp);
    }

    /// <summary>Slot-major [f][C·h·w] to clip [C][f][h·w] (or back).</summary>
    private static void Layout(float[] source, float[] destination, int f, int plane, bool toClip, bool fromClip = false)
    {
        var n = source.Length / f;
        var channels = n / plane;
        if (!toClip && !fromClip)
        {
            source.CopyTo(destination, 0);
            return;
        }

        for (int j = 0; j < f; j++)
        {
            for (int c = 0; c < channels; c++)
            {
                var slotMajor = (j * n) + (c * plane);
                var clipMajor = ((c * f) + j) * plane;
                if (toClip)
                {
                    Array.Copy(source, slotMajor, destination, clipMajor, plane);
                }
                else
                {
                    Array.Copy(source, clipMajor, destination, slotMajor, plane);
                }
            }
        }
    }

    /// <summary>
    /// Writes the embedding of output frame <paramref name="frameIndex"/> and returns the newest prompt in it.
    /// Scripted keyframe K ramps in over the L frames before it: frame k in (K − L, K] takes weight (k − K + L)/L.
    /// A live prompt overrides the keyframes.
    /// </summary>
    private string PromptFor(long frameIndex, Span<float> destination)
    {
        if (_live is { } live)
        {
            live.Embedding.CopyTo(destination);
            return live.Text;
        }

        var j = 0;
        while (j + 1 < _keyframes.Count && _keyframes[j + 1].StartFrame <= frameIndex)
        {
            j++;
        }

        _keyframeEmbeddings[j].CopyTo(destination);
        if (j + 1 < _keyframes.Count)
        {
            var next = _keyframes[j + 1].StartFrame;
            var levels = _schedule.Levels;
            var weight = (float)(frameIndex - (next - levels)) / levels;
            if (weight > 0)
            {
                TensorPrimitives.Lerp(destination, _keyframeEmbeddings[j + 1], weight, destination);
                return _keyframes[j + 1].Text;
            }
        }

        return _keyframes[j].Text;
    }

    private void ApplyPendingPrompt()
    {
        (string Text, float[] Embedding)? pending;
        lock (_pendingGate)
        {
            pending = _pending;
            _pending = null;
        }

        if (pending is not { } change)
        {
            return;
        }

        // Queued frames finish under a blend: the head keeps almost all of its old prompt, the tail takes the new one.
        var levels = _schedule.Levels;
        for (int slot = _schedule.HeadSlot; slot < _schedule.SlotCount; slot++)
        {
            var level = _schedule.LevelOf(slot);
            var embedding = _queue.Embedding(slot);
            TensorPrimitives.Lerp(embedding, change.Embedding, (float)(level + 1) / levels, embedding);
            _slotPrompts[slot] = change.Text;
        }

        _live = change;
    }
}
