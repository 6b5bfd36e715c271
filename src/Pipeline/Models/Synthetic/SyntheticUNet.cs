using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// An epsilon-predicting denoiser that behaves plausibly. From the timestep it looks up ᾱ_t (SD scaled_linear
/// table), α = √ᾱ, σ = √(1−ᾱ). Its clean-latent estimate is
/// <code>
///   prior = p + k·(LowPass(x_t) − α·p) + k_d·(x_t − LowPass(x_t))
///   k   = α·v / (ᾱ·v + (1−ᾱ)/25)      Wiener gain of the 5x5 box average (noise variance /25), v = 1
///   k_d = α·v_d / (ᾱ·v_d + (1−ᾱ))     Wiener gain of the high-pass residual, v_d = 0.15 (latent detail variance)
///   x̂₀   = prior + w·(p − mean_hw(prior)),   w = 0.08 + 0.27·σ²
/// </code>
/// so at low noise detail survives (k_d → 1/α), at high noise the estimate shrinks to a blurred image around the
/// palette, as a trained denoiser's does, and at every level the image's mean colour is tinted toward the palette
/// without losing contrast.
/// with p the prompt palette (a colour from the mean text embedding, mapped into latent space through the VAE
/// colour mix), and it returns ε = (x_t − α·x̂₀)/σ, so a DDIM/LCM step (x_t − σ·ε)/α lands on x̂₀: the image keeps
/// its structure, loses some detail, and drifts toward the prompt colour, more so at high noise.
/// The video variant does the same per frame (pooling kernel 1x5x5, α per [batch, frame]) and mixes the frames'
/// structure estimates along the frame axis (see <see cref="TemporalMix"/>), as a video UNet's temporal layers do.
/// </summary>
internal static class SyntheticUNet
{
    public const int TimestepCondSize = 256;
    private const float PaletteRange = 0.8f;
    private const float LowPassNoiseVariance = 1f / 25f;
    private const float StructureVariance = 1f;
    private const float DetailVariance = 0.15f;
    private const float PullBase = 0.08f;
    private const float PullPerNoiseVariance = 0.27f;
    private const double PaletteGain = 1.2;
    private const float TimestepCondScale = 0.05f;
    private const double ComputeOutputScale = 1e-3;
    private const float TemporalBorrow = 0.5f;

    public static ModelProto Build(SyntheticPackOptions options, SyntheticColourMap map)
    {
        int d = options.HiddenSize;
        bool video = options.Video;
        var io = options.Float16 ? DataType.Float16 : DataType.Float;
        var g = new OnnxGraphBuilder(video ? "synthetic_video_unet" : "synthetic_unet");

        object[] sampleDims = video
            ? ["batch_size", 4, "num_frames", "height", "width"]
            : ["batch_size", 4, "height", "width"];
        var sample = g.Input("sample", io, sampleDims);

        var timestepType = options.TimestepType switch
        {
            SyntheticTimestepType.Float16 => DataType.Float16,
            SyntheticTimestepType.Int64 => DataType.Int64,
            _ => DataType.Float,
        };
        object[] timestepDims = video
            ? ["batch_size", "num_frames"]
            : options.TimestepRank == SyntheticTimestepRank.Scalar ? [] : ["steps"];
        var timestep = g.Input("timestep", timestepType, timestepDims);
        var hiddenStates = g.Input("encoder_hidden_states", io, "batch_size", SyntheticTextEncoder.SequenceLength, d);
        var timestepCond = options.TimestepCond ? g.Input("timestep_cond", io, "batch_size", TimestepCondSize) : null;

        var x = options.Float16 ? g.Cast(sample, DataType.Float) : sample;

        // ᾱ_t by table lookup; the index is rounded and clamped so any float timestep is safe.
        var tFloat = timestepType == DataType.Float ? timestep : g.Cast(timestep, DataType.Float);
        var index = g.Cast(g.Node("Clip", [g.Node("Round", [tFloat]), g.Scalar(0f), g.Scalar(SyntheticSchedule.TrainTimesteps - 1)]), DataType.Int64);
        var table = SyntheticSchedule.AlphasCumprod();
        var alphaBarFlat = g.Node("Gather", [g.Floats("alphas_cumprod", table, table.Length), index], ("axis", 0L));
        var alphaBar = video
            ? g.Node("Unsqueeze", [alphaBarFlat, g.Longs(1, 3, 4)])
            : g.Reshape(alphaBarFlat, -1, 1, 1, 1);
        var alpha = g.Node("Sqrt", [alphaBar]);
        var sigma = g.Node("Sqrt", [g.Sub(g.Scalar(1f), alphaBar)]);

        var lowPass = g.Node(
            "AveragePool",
            [x],
            ("kernel_shape", video ? new long[] { 1, 5, 5 } : [5, 5]),
            ("strides", video ? new long[] { 1, 1, 1 } : [1, 1]),
            ("pads", video ? new long[] { 0, 2, 2, 0, 2, 2 } : [2, 2, 2, 2]),
            ("count_include_pad", 0L));

        var palette = Palette(g, options, map, hiddenStates, timestepCond);
        palette = video ? g.Reshape(palette, -1, 4, 1, 1, 1) : g.Reshape(palette, -1, 4, 1, 1);

        var noiseVariance = g.Sub(g.Scalar(1f), alphaBar);
        var gain = g.Div(
            g.Mul(alpha, g.Scalar(StructureVariance)),
            g.Add(g.Mul(alphaBar, g.Scalar(StructureVariance)), g.Mul(noiseVariance, g.Scalar(LowPassNoiseVariance))));
        var detailGain = g.Div(
            g.Mul(alpha, g.Scalar(DetailVariance)),
            g.Add(g.Mul(alphaBar, g.Scalar(DetailVariance)), noiseVariance));
        var structure = g.Mul(gain, g.Sub(lowPass, g.Mul(alpha, palette)));
        if (video)
        {
            structure = TemporalMix(g, structure, alphaBar, gain, alpha);
        }

        var prior = g.Add(g.Add(palette, structure), g.Mul(detailGain, g.Sub(x, lowPass)));
        var pull = g.Add(g.Scalar(PullBase), g.Mul(noiseVariance, g.Scalar(PullPerNoiseVariance)));
        var meanColour = g.Node("ReduceMean", [prior], ("axes", video ? new long[] { 3, 4 } : [2, 3]), ("keepdims", 1L));
        var estimate = g.Add(prior, g.Mul(pull, g.Sub(palette, meanColour)));

        if (options.ComputeLayers > 0)
        {
            estimate = g.Add(estimate, ComputeStack(g, options, x));
        }

        var epsilon = g.Div(g.Sub(x, g.Mul(alpha, estimate)), sigma);
        var output = options.Float16 ? g.Cast(epsilon, DataType.Float16) : epsilon;
        g.Output("out_sample", output, io, sampleDims);
        return g.Build(video
            ? "Synthetic video denoiser (epsilon, per-frame timesteps) (StreamDiffusion.Net); not a trained model."
            : "Synthetic UNet-shaped denoiser (epsilon prediction) (StreamDiffusion.Net); not a trained model.");
    }

    /// <summary>
    /// The video denoiser's temporal layer. Each frame's structure estimate s_f (its Wiener low-pass estimate
    /// around the palette) is mixed with its neighbours' along the frame axis: m_f = Σ_g r_g·s_g / Σ_g r_g over
    /// g ∈ {f−1, f, f+1}, with r = gain·α ∈ (0, 1] each frame's reliability (near 1 when clean, near 0 when
    /// noisy), so cleaner frames inform noisier ones and not the other way round; a frame takes
    /// s'_f = (1 − w_f)·s_f + w_f·m_f with w_f = 0.5·σ_f², borrowing more the noisier it is. A clip of one
    /// frame is left as it was (m_f = s_f), so the video denoiser equals the image one frame by frame there.
    /// </summary>
    private static string TemporalMix(OnnxGraphBuilder g, string structure, string alphaBar, string gain, string alpha)
    {
        var reliability = g.Mul(gain, alpha);
        (string Name, object Value)[] pool =
        [
            ("kernel_shape", new long[] { 3, 1, 1 }),
            ("strides", new long[] { 1, 1, 1 }),
            ("pads", new long[] { 1, 0, 0, 1, 0, 0 }),
            ("count_include_pad", 0L),
        ];
        var numerator = g.Node("AveragePool", [g.Mul(reliability, structure)], pool);
        var denominator = g.Add(g.Node("AveragePool", [reliability], pool), g.Scalar(1e-6f));
        var mixed = g.Div(numerator, denominator);
        var borrow = g.Mul(g.Sub(g.Scalar(1f), alphaBar), g.Scalar(TemporalBorrow));
        return g.Add(structure, g.Mul(borrow, g.Sub(mixed, structure)));
    }

    /// <summary>
    /// Prompt colour: mean over tokens → [D,3] projection → tanh (a colour in [-0.8,0.8]) → the VAE colour mix,
    /// so the palette decodes to that colour. Returns [B,4].
    /// </summary>
    private static string Palette(OnnxGraphBuilder g, SyntheticPackOptions options, SyntheticColourMap map, string hiddenStates, string? timestepCond)
    {
        int d = options.HiddenSize;
        var random = new SyntheticRandom(options.Seed, "palette-" + d);
        var states = options.Float16 ? g.Cast(hiddenStates, DataType.Float) : hiddenStates;
        // Mean over tokens as a global average pool over [B,D,77], a per-channel loop whatever the batch:
        // an item's result must not depend on what it was batched with (the engine's guarantee).
        var mean = g.Reshape(g.Node("GlobalAveragePool", [g.Node("Transpose", [states], ("perm", new long[] { 0, 2, 1 }))]), -1, d);

        // Mean embeddings have unit-order elements that differ between prompts by about half their size; a gain near 1
        // keeps tanh out of saturation so different prompts give clearly different colours.
        var projection = g.Floats("palette_projection", random.Gaussian(d * 3, PaletteGain / Math.Sqrt(d)), d, 3);
        var colour = SoftSign(g, RowProject(g, mean, projection));

        var mix = new float[3 * 4];
        for (int c = 0; c < 3; c++)
        {
            for (int r = 0; r < 4; r++)
            {
                mix[(c * 4) + r] = (float)(PaletteRange * map.Forward(r, c));
            }
        }

        var bias = Array.ConvertAll(map.Bias, b => (float)b);
        var palette = g.Add(RowProject(g, colour, g.Floats("palette_mix", mix, 3, 4)), g.Floats("palette_bias", bias, 4));

        if (timestepCond is not null)
        {
            // LCM's guidance embedding: here it only shifts the palette a little, but it is used.
            var condRandom = new SyntheticRandom(options.Seed, "timestep-cond");
            var cond = options.Float16 ? g.Cast(timestepCond, DataType.Float) : timestepCond;
            var weights = g.Floats("timestep_cond_projection", condRandom.Gaussian(TimestepCondSize * 4, 1.0 / Math.Sqrt(TimestepCondSize)), TimestepCondSize, 4);
            var shift = g.Mul(SoftSign(g, RowProject(g, cond, weights)), g.Scalar(TimestepCondScale));
            palette = g.Add(palette, shift);
        }

        return palette;
    }

    /// <summary>
    /// x / √(1 + x²): a squashing curve close to tanh built from correctly rounded operations only, so
    /// an item's result cannot depend on where it falls in a vectorised kernel's body or tail.
    /// </summary>
    private static string SoftSign(OnnxGraphBuilder g, string x) =>
        g.Div(x, g.Node("Sqrt", [g.Add(g.Scalar(1f), g.Mul(x, x))]));

    /// <summary>
    /// [B,K] · [K,N] → [B,N] as a broadcast multiply and a sum over K. A MatMul would do the same
    /// maths, but ONNX Runtime picks a different kernel for one row (GEMV) than for several, so an
    /// item's result would depend on how many items share the call; this form keeps every item
    /// bitwise independent of the batch, as a real UNet's (many-row) matrix products are.
    /// </summary>
    /// The sum runs over the last axis: a reduction over a middle axis is taken as a different
    /// pattern when the batch is 1, with another summation order.
    private static string RowProject(OnnxGraphBuilder g, string rows, string weights) =>
        g.Node(
            "ReduceSum",
            [g.Mul(g.Node("Unsqueeze", [rows, g.Longs(1)]), g.Node("Transpose", [weights], ("perm", new long[] { 1, 0 }))), g.Longs(2)],
            ("keepdims", 0L));

    /// <summary>
    /// ComputeLayers 3x3 convolutions of ComputeChannels on the latent (1x1 in/out projections), with an output
    /// scale of 1e-3 so they model a heavy UNet's cost without changing its behaviour noticeably.
    /// </summary>
    private static string ComputeStack(OnnxGraphBuilder g, SyntheticPackOptions options, string x)
    {
        int c = options.ComputeChannels;
        bool video = options.Video;
        var random = new SyntheticRandom(options.Seed, "compute-stack");
        long[] Kernel(long k) => video ? [1, k, k] : [k, k];
        long[] Weight(long outC, long inC, long k) => video ? [outC, inC, 1, k, k] : [outC, inC, k, k];
        long[] pads = video ? [0, 1, 1, 0, 1, 1] : [1, 1, 1, 1];

        var h = g.Node("Conv", [x, g.Floats("compute_in", random.Gaussian(c * 4, 1.0 / 2), Weight(c, 4, 1))], ("kernel_shape", Kernel(1)));
        for (int layer = 0; layer < options.ComputeLayers; layer++)
        {
            var weight = g.Floats("compute_conv", random.Gaussian(c * c * 9, Math.Sqrt(2.0 / (9 * c))), Weight(c, c, 3));
            h = g.Node("Relu", [g.Node("Conv", [h, weight, g.Floats("compute_bias", new float[c], c)], ("kernel_shape", Kernel(3)), ("pads", pads))]);
        }

        return g.Node("Conv", [h, g.Floats("compute_out", random.Gaussian(4 * c, ComputeOutputScale / Math.Sqrt(c)), Weight(4, c, 1))], ("kernel_shape", Kernel(1)));
    }
}
