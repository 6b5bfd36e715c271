namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>Settings of one long (unbounded) text-to-video generation.</summary>
public sealed record LongVideoOptions
{
    /// <summary>Default partitions n.</summary>
    public const int DefaultPartitions = 4;

    /// <summary>Default window f (frames per denoiser window).</summary>
    public const int DefaultWindow = 8;

    /// <summary>Prompts by start frame; the first starts at frame 0, start frames strictly increase.</summary>
    public IReadOnlyList<VideoPromptKeyframe> Prompts { get; init; } = [];

    /// <summary>Output width in pixels (a multiple of 8).</summary>
    public int Width { get; init; } = 512;

    /// <summary>Output height in pixels (a multiple of 8).</summary>
    public int Height { get; init; } = 512;

    /// <summary>Frames per denoiser window f.</summary>
    public int Window { get; init; } = DefaultWindow;

    /// <summary>Partitions n (queue length L = f·n).</summary>
    public int Partitions { get; init; } = DefaultPartitions;

    /// <summary>Half-overlapping lookahead windows: every frame is denoised with a full window of context, at twice the cost.</summary>
    public bool Lookahead { get; init; }

    /// <summary>Per-slot step rule (DDIM, or LCM for LCM-distilled / turbo image packs).</summary>
    public FifoSampler Sampler { get; init; } = FifoSampler.Ddim;

    /// <summary>Ouroboros-style coherent tail sampling instead of pure noise at the tail.</summary>
    public bool CoherentTail { get; init; }

    /// <summary>Low-pass cutoff of the coherent tail (fraction of the normalised frequency).</summary>
    public double TailCutoff { get; init; } = CoherentTailSampler.DefaultCutoff;

    /// <summary>
    /// Subject memory and self-recurrent guidance (<see cref="SubjectMemory"/>): the noisier half of the queue is
    /// nudged toward a moving average of the head frames' clean latents. Off by default (see docs/long-video.md
    /// for the measurement).
    /// </summary>
    public bool SubjectGuidance { get; init; }

    /// <summary>Guidance step size η in (0, 1] (clipped per level to ᾱ_t).</summary>
    public double GuidanceStep { get; init; } = SubjectMemory.DefaultStep;

    /// <summary>Moving-average momentum of the subject bank in [0, 1).</summary>
    public double GuidanceMomentum { get; init; } = SubjectMemory.DefaultMomentum;

    /// <summary>Seed of every noise the generation draws.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> naming the offending setting.</summary>
    public void Validate()
    {
        if (Prompts.Count == 0)
        {
            throw new ArgumentException("prompts: at least one prompt keyframe is required", nameof(Prompts));
        }

        if (Prompts[0].StartFrame != 0)
        {
            throw new ArgumentException($"prompts[0].start_frame: the first keyframe must start at frame 0, not {Prompts[0].StartFrame}", nameof(Prompts));
        }

        for (int i = 0; i < Prompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Prompts[i].Text))
            {
                throw new ArgumentException($"prompts[{i}].text: empty prompt", nameof(Prompts));
            }

            if (i > 0 && Prompts[i].StartFrame <= Prompts[i - 1].StartFrame)
            {
                throw new ArgumentException($"prompts[{i}].start_frame: keyframes must be in strictly increasing frame order ({Prompts[i].StartFrame} after {Prompts[i - 1].StartFrame})", nameof(Prompts));
            }
        }

        if (Width < 8 || Height < 8 || Width % 8 != 0 || Height % 8 != 0)
        {
            throw new ArgumentException($"width/height: {Width}x{Height} must be positive multiples of 8", Width % 8 != 0 || Width < 8 ? nameof(Width) : nameof(Height));
        }

        if (Window < 2 || (Lookahead && Window % 2 != 0))
        {
            throw new ArgumentException($"window: {Window} must be at least 2{(Lookahead ? " and even for lookahead" : string.Empty)}", nameof(Window));
        }

        if (Partitions < 1 || (long)Partitions * Window > FifoSchedule.MaxLevels)
        {
            throw new ArgumentException($"num_partitions: {Partitions} must lie in [1, {FifoSchedule.MaxLevels / Window}] (window {Window} x partitions ≤ {FifoSchedule.MaxLevels} noise levels)", nameof(Partitions));
        }

        if (!(TailCutoff > 0) || TailCutoff > 2)
        {
            throw new ArgumentException($"tail_cutoff: {TailCutoff} must lie in (0, 2]", nameof(TailCutoff));
        }

        if (!(GuidanceStep > 0 && GuidanceStep <= 1))
        {
            throw new ArgumentException($"subject_guidance_step: {GuidanceStep} must lie in (0, 1]", nameof(GuidanceStep));
        }

        if (!(GuidanceMomentum >= 0 && GuidanceMomentum < 1))
        {
            throw new ArgumentException($"guidance_momentum: {GuidanceMomentum} must lie in [0, 1)", nameof(GuidanceMomentum));
        }
    }
}
