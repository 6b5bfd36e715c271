using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// Everything a stream is configured with, in user terms (texts, not embeddings). Defaults follow
/// StreamDiffusion's real-time img2img setup: two steps at t_index 32 and 45, self-guidance.
/// </summary>
public sealed record ImageStreamOptions
{
    /// <summary>Model input width in pixels (multiple of 8).</summary>
    public int Width { get; init; } = 512;

    /// <summary>Model input height in pixels (multiple of 8).</summary>
    public int Height { get; init; } = 512;

    /// <summary>img2img (default) or txt2img.</summary>
    public StreamMode Mode { get; init; } = StreamMode.Img2Img;

    /// <summary>The prompt. Ignored when <see cref="Prompts"/> is set.</summary>
    public string Prompt { get; init; } = string.Empty;

    /// <summary>Weighted prompts to blend instead of <see cref="Prompt"/>.</summary>
    public IReadOnlyList<WeightedPrompt>? Prompts { get; init; }

    /// <summary>Negative prompt, used by full and initialize guidance.</summary>
    public string NegativePrompt { get; init; } = string.Empty;

    /// <summary>Denoising steps as indices into the 50-step LCM schedule, strictly increasing (t = 999 − 20·index).</summary>
    public IReadOnlyList<int> TIndexList { get; init; } = [32, 45];

    /// <summary>Residual classifier-free guidance mode.</summary>
    public CfgMode Cfg { get; init; } = CfgMode.Self;

    /// <summary>Guidance scale g.</summary>
    public float Guidance { get; init; } = 1.2f;

    /// <summary>Residual-noise scale δ for self / initialize guidance.</summary>
    public float Delta { get; init; } = 1.0f;

    /// <summary>Noise seed (fixed per stream for temporal stability).</summary>
    public long Seed { get; init; } = 2;

    /// <summary>Weighted seeds to blend instead of <see cref="Seed"/>.</summary>
    public IReadOnlyList<WeightedSeed>? SeedBlend { get; init; }

    /// <summary>Fixed noise per stream (default) or fresh noise every frame.</summary>
    public NoiseMode Noise { get; init; } = NoiseMode.Fixed;

    /// <summary>Stochastic similarity filter.</summary>
    public SimilarityFilterSettings Filter { get; init; } = new();

    /// <summary>Frames per UNet call (frame buffer f).</summary>
    public int FrameBuffer { get; init; } = 1;

    /// <summary>How input frames are fitted to the model size.</summary>
    public FitMode Fit { get; init; } = FitMode.CenterCrop;

    /// <summary>Largest accepted input width in pixels.</summary>
    public int MaxInputWidth { get; init; } = 2048;

    /// <summary>Largest accepted input height in pixels.</summary>
    public int MaxInputHeight { get; init; } = 2048;

    /// <summary>Output encoding (format, JPEG quality, optional output size).</summary>
    public FrameEncoding Output { get; init; } = FrameEncoding.DefaultJpeg;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                throw new ArgumentException($"{field}: {message}", field);
            }
        }

        Check(Width is >= 64 and <= 2048 && Width % 8 == 0, "width", $"must be a multiple of 8 in 64..2048, got {Width}");
        Check(Height is >= 64 and <= 2048 && Height % 8 == 0, "height", $"must be a multiple of 8 in 64..2048, got {Height}");
        Check(TIndexList.Count is >= 1 and <= 50, "t_index_list", $"must hold 1..50 indices, got {TIndexList.Count}");
        for (var i = 0; i < TIndexList.Count; i++)
        {
            Check(TIndexList[i] is >= 0 and <= 49, "t_index_list", $"index {TIndexList[i]} is outside 0..49");
            Check(i == 0 || TIndexList[i] > TIndexList[i - 1], "t_index_list", $"must be strictly increasing (later steps are less noisy), got [{string.Join(",", TIndexList)}]");
        }

        Check(float.IsFinite(Guidance) && Guidance is >= 0 and <= 20, "guidance_scale", $"must be in 0..20, got {Guidance}");
        Check(float.IsFinite(Delta) && Delta is >= 0 and <= 2, "delta", $"must be in 0..2, got {Delta}");
        Check(FrameBuffer is >= 1 and <= 16, "frame_buffer_size", $"must be in 1..16, got {FrameBuffer}");
        Check(Filter.Threshold is > 0 and < 1, "similarity_filter.threshold", $"must be in (0,1), got {Filter.Threshold}");
        Check(Filter.MaxSkipFrames is >= 0 and <= 1000, "similarity_filter.max_skip_frames", $"must be in 0..1000, got {Filter.MaxSkipFrames}");
        Check(Output.JpegQuality is >= 1 and <= 100, "output.quality", $"must be in 1..100, got {Output.JpegQuality}");
        Check(Output.Width is >= 0 and <= 4096 && Output.Height is >= 0 and <= 4096, "output.size", $"must be in 0..4096, got {Output.Width}x{Output.Height}");
        if (Prompts is not null)
        {
            Check(Prompts.Count > 0, "prompts", "must hold at least one prompt when given");
            Check(Prompts.All(p => float.IsFinite(p.Weight) && p.Weight >= 0) && Prompts.Sum(p => p.Weight) > 0, "prompts", "weights must be non-negative with a positive sum");
        }

        if (SeedBlend is not null)
        {
            Check(SeedBlend.Count > 0, "seed_blend", "must hold at least one seed when given");
            Check(SeedBlend.All(s => float.IsFinite(s.Weight) && s.Weight >= 0) && SeedBlend.Sum(s => s.Weight) > 0, "seed_blend", "weights must be non-negative with a positive sum");
        }
    }
}
