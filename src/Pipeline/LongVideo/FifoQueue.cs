using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// The FIFO-Diffusion queue: <see cref="FifoSchedule.SlotCount"/> latent frames at diagonal noise levels,
/// each with its own text embedding. <see cref="IterateAsync"/> denoises every window once through an
/// <see cref="INoisePredictor"/> (normally the model's engine, so long-video sessions share the UNet with
/// live ones), in one call of all windows; <see cref="Shift"/> then moves every slot one step toward the
/// head, leaving the tail slot for the caller's new latent. All buffers are allocated here, once: the
/// queue's memory is the same after ten frames and after a million.
/// </summary>
/// <remarks>
/// Evaluation order: every window reads the values the queue held when the iteration began (they are
/// staged into the request buffer before anything is written), and the windows' write ranges are
/// disjoint, so the result does not depend on the order in which windows are staged or written back.
/// This equals the reference's tail-to-head in-place loop. A video denoiser receives each window as one
/// clip [4, f, h, w] with per-frame timesteps; an image UNet receives it as f items with per-item timesteps.
/// </remarks>
public sealed class FifoQueue
{
    private readonly float[] _latents;
    private readonly float[][] _embeddings;
    private readonly int[] _enteredLevel;
    private readonly int[] _steps;
    private readonly float[] _requestLatents;
    private readonly float[] _requestNoise;
    private readonly float[] _requestTimesteps;
    private readonly float[] _requestEmbeddings;
    private readonly float[] _slotNoise;
    private readonly float[] _freshNoise;
    private readonly int[] _naturalOrder;
    private readonly GaussianNoiseGenerator _noise;
    private readonly LatentShape _requestShape;
    private SubjectMemory? _memory;
    private int _guidedFromLevel;

    /// <summary>Creates a queue of zero latents (fill it with <see cref="Slot"/> / <see cref="Embedding"/> before iterating).</summary>
    /// <param name="schedule">Noise layout.</param>
    /// <param name="frame">Shape of one latent frame (batch ignored).</param>
    /// <param name="embeddingLength">Floats in one text embedding ([77, D]).</param>
    /// <param name="video">Windows go to the denoiser as clips (video denoiser) instead of f image items.</param>
    /// <param name="sampler">Per-slot step rule.</param>
    /// <param name="seed">Seed of the fresh noise the LCM sampler re-noises with.</param>
    public FifoQueue(FifoSchedule schedule, LatentShape frame, int embeddingLength, bool video, FifoSampler sampler = FifoSampler.Ddim, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingLength, 1);
        Schedule = schedule;
        FrameLength = frame.Channels * frame.Height * frame.Width;
        ArgumentOutOfRangeException.ThrowIfLessThan(FrameLength, 1, nameof(frame));
        Frame = new LatentShape(1, frame.Channels, frame.Height, frame.Width);
        EmbeddingLength = embeddingLength;
        IsVideo = video;
        Sampler = sampler;
        var slots = schedule.SlotCount;
        _latents = new float[slots * FrameLength];
        _embeddings = new float[slots][];
        for (int s = 0; s < slots; s++)
        {
            _embeddings[s] = new float[embeddingLength];
        }

        _enteredLevel = new int[slots];
        _steps = new int[slots];
        var items = schedule.ItemsPerIteration;
        var windows = schedule.Windows.Length;
        _requestLatents = new float[items * FrameLength];
        _requestNoise = new float[items * FrameLength];
        _requestTimesteps = new float[items];
        _requestEmbeddings = new float[(video ? windows : items) * embeddingLength];
        _slotNoise = new float[FrameLength];
        _freshNoise = new float[FrameLength];
        _naturalOrder = Enumerable.Range(0, windows).ToArray();
        _noise = new GaussianNoiseGenerator(seed, 0x4649464F);
        _requestShape = video
            ? new LatentShape(windows, frame.Channels, frame.Height, frame.Width) { Frames = schedule.Window }
            : new LatentShape(items, frame.Channels, frame.Height, frame.Width);
    }

    /// <summary>The noise layout.</summary>
    public FifoSchedule Schedule { get; }

    /// <summary>One latent frame's shape (batch 1).</summary>
    public LatentShape Frame { get; }

    /// <summary>Floats in one latent frame.</summary>
    public int FrameLength { get; }

    /// <summary>Floats in one text embedding.</summary>
    public int EmbeddingLength { get; }

    /// <summary>True when windows go to the denoiser as clips.</summary>
    public bool IsVideo { get; }

    /// <summary>Per-slot step rule.</summary>
    public FifoSampler Sampler { get; }

    /// <summary>The subject memory that guides the noisier slots; null when guidance is off.</summary>
    public SubjectMemory? Memory => _memory;

    /// <summary>Lowest level the subject memory guides (the noisier slots from there to the tail).</summary>
    public int GuidedFromLevel => _guidedFromLevel;

    /// <summary>The shape of the one denoiser request an iteration makes.</summary>
    public LatentShape RequestShape => _requestShape;

    /// <summary>Floats the queue holds in all its buffers (constant for its life).</summary>
    public long BufferFloats =>
        _latents.Length + ((long)_embeddings.Length * EmbeddingLength) + _requestLatents.Length + _requestNoise.Length
        + _requestTimesteps.Length + _requestEmbeddings.Length + _slotNoise.Length + _freshNoise.Length;

    /// <summary>The latent in <paramref name="slot"/>.</summary>
    public Span<float> Slot(int slot) => _latents.AsSpan(CheckSlot(slot) * FrameLength, FrameLength);

    /// <summary>The text embedding the frame in <paramref name="slot"/> is denoised under.</summary>
    public Span<float> Embedding(int slot) => _embeddings[CheckSlot(slot)];

    /// <summary>Level at which the latent now in <paramref name="slot"/> entered the queue.</summary>
    public int EnteredLevel(int slot) => _enteredLevel[CheckSlot(slot)];

    /// <summary>Denoising steps the latent now in <paramref name="slot"/> has taken since it entered.</summary>
    public int StepsTaken(int slot) => _steps[CheckSlot(slot)];

    /// <summary>Marks the latent in <paramref name="slot"/> as entering at its slot's level (start-up and new tails).</summary>
    public void MarkEntered(int slot)
    {
        _enteredLevel[CheckSlot(slot)] = Schedule.LevelOf(slot);
        _steps[slot] = 0;
    }

    /// <summary>
    /// Turns self-recurrent guidance on (or off with null): from the next iteration, every slot at level
    /// <paramref name="fromLevel"/> or noisier takes one <see cref="SubjectMemory.Guide"/> step with the ε its
    /// window predicted, before that ε steps it to the next level. The bank only changes between iterations,
    /// so the result still does not depend on window order.
    /// </summary>
    public void UseGuidance(SubjectMemory? memory, int fromLevel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fromLevel, Schedule.Levels);
        if (memory is not null && memory.Channels * memory.Plane != FrameLength)
        {
            throw new ArgumentException($"the memory holds {memory.Channels * memory.Plane} floats a frame, the queue {FrameLength}", nameof(memory));
        }

        _memory = memory;
        _guidedFromLevel = fromLevel;
    }

    /// <summary>
    /// One FIFO iteration: every window once, every denoising slot one level cleaner (the head to x₀).
    /// </summary>
    /// <param name="predictor">The denoiser (the model's engine).</param>
    /// <param name="cancellationToken">Stops the wait; the queue is then left as it was before the call.</param>
    public ValueTask IterateAsync(INoisePredictor predictor, CancellationToken cancellationToken = default) =>
        IterateAsync(predictor, _naturalOrder, cancellationToken);

    /// <summary>
    /// As <see cref="IterateAsync(INoisePredictor, CancellationToken)"/>, staging and writing back the windows in
    /// <paramref name="windowOrder"/> (a permutation of the window indices); the result is the same for every order.
    /// </summary>
    public async ValueTask IterateAsync(INoisePredictor predictor, IReadOnlyList<int> windowOrder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(windowOrder);
        if (!ReferenceEquals(windowOrder, _naturalOrder) && (windowOrder.Count != Schedule.Windows.Length || windowOrder.Distinct().Count() != windowOrder.Count || windowOrder.Any(w => (uint)w >= (uint)windowOrder.Count)))
        {
            throw new ArgumentException($"the window order must be a permutation of 0..{Schedule.Windows.Length - 1}", nameof(windowOrder));
        }

        for (int position = 0; position < windowOrder.Count; position++)
        {
            Stage(Schedule.Windows[windowOrder[position]], position);
        }

        await predictor.PredictNoiseAsync(_requestLatents, _requestTimesteps, _requestEmbeddings, _requestNoise, _requestShape, cancellationToken).ConfigureAwait(false);

        for (int position = 0; position < windowOrder.Count; position++)
        {
            WriteBack(Schedule.Windows[windowOrder[position]], position);
        }
    }

    /// <summary>Copies the head latent (clean after an iteration) to <paramref name="destination"/>.</summary>
    public void CopyHead(Span<float> destination) => Slot(Schedule.HeadSlot).CopyTo(destination);

    /// <summary>
    /// Dequeues the head: every slot moves one toward the head (with lookahead the emitted frame becomes the
    /// newest context frame and the oldest context frame leaves). The tail slot then holds stale values; the
    /// caller writes the new tail latent and embedding and calls <see cref="MarkEntered"/>.
    /// </summary>
    public void Shift()
    {
        var slots = Schedule.SlotCount;
        _latents.AsSpan(FrameLength).CopyTo(_latents);
        var first = _embeddings[0];
        Array.Copy(_embeddings, 1, _embeddings, 0, slots - 1);
        _embeddings[slots - 1] = first;
        Array.Copy(_enteredLevel, 1, _enteredLevel, 0, slots - 1);
        Array.Copy(_steps, 1, _steps, 0, slots - 1);
    }

    private void Stage(FifoWindow window, int position)
    {
        var f = Schedule.Window;
        var plane = Frame.Height * Frame.Width;
        for (int j = 0; j < f; j++)
        {
            var slot = window.Start + j;
            var source = Slot(slot);
            var item = (position * f) + j;
            _requestTimesteps[item] = Schedule.TimestepOfSlot(slot);
            if (IsVideo)
            {
                // Clip layout [C, F, h, w]: channel c of frame j goes to plane (c·F + j).
                var clip = _requestLatents.AsSpan(position * f * FrameLength, f * FrameLength);
                for (int c = 0; c < Frame.Channels; c++)
                {
                    source.Slice(c * plane, plane).CopyTo(clip.Slice(((c * f) + j) * plane, plane));
                }
            }
            else
            {
                source.CopyTo(_requestLatents.AsSpan(item * FrameLength, FrameLength));
                _embeddings[slot].CopyTo(_requestEmbeddings.AsSpan(item * EmbeddingLength, EmbeddingLength));
            }
        }

        if (IsVideo)
        {
            // One prompt per clip: the window's middle frame's.
            _embeddings[window.Start + (f / 2)].CopyTo(_requestEmbeddings.AsSpan(position * EmbeddingLength, EmbeddingLength));
        }
    }

    private void WriteBack(FifoWindow window, int position)
    {
        var f = Schedule.Window;
        var plane = Frame.Height * Frame.Width;
        for (int slot = window.WriteStart; slot < window.WriteEnd; slot++)
        {
            var j = slot - window.Start;
            Span<float> epsilon = _slotNoise;
            if (IsVideo)
            {
                var clip = _requestNoise.AsSpan(position * f * FrameLength, f * FrameLength);
                for (int c = 0; c < Frame.Channels; c++)
                {
                    clip.Slice(((c * f) + j) * plane, plane).CopyTo(epsilon.Slice(c * plane, plane));
                }
            }
            else
            {
                _requestNoise.AsSpan(((position * f) + j) * FrameLength, FrameLength).CopyTo(epsilon);
            }

            // The queue slot still holds the value the window read: only this window writes it.
            var latent = Slot(slot);
            var level = Schedule.LevelOf(slot);
            Schedule.Schedule.ConvertToEpsilon(latent, epsilon, Schedule.Timesteps[level]);
            if (_memory is not null && level >= _guidedFromLevel)
            {
                _memory.Guide(latent, epsilon, Schedule.Schedule, Schedule.Timesteps[level]);
            }

            if (Sampler == FifoSampler.Ddim)
            {
                Schedule.Ddim(level).Apply(latent, epsilon, latent);
            }
            else
            {
                LcmScheduler.Step(latent, epsilon, Schedule.Lcm(level), latent);
                if (level > 0)
                {
                    var previous = Schedule.Timesteps[level - 1];
                    _noise.Fill(_freshNoise);
                    LcmScheduler.LinearCombination(latent, (float)Schedule.Schedule.Alpha(previous), _freshNoise, (float)Schedule.Schedule.Sigma(previous), latent);
                }
            }

            _steps[slot]++;
        }
    }

    private int CheckSlot(int slot)
    {
        if ((uint)slot >= (uint)Schedule.SlotCount)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot must lie in [0, {Schedule.SlotCount - 1}]");
        }

        return slot;
    }
}
