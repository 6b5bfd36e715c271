using Microsoft.ML.OnnxRuntime;
using StreamDiffusion.Pipeline.Models.Synthetic;
using Xunit.Abstractions;
using static StreamDiffusion.Pipeline.Tests.Synthetic.SyntheticTestData;

namespace StreamDiffusion.Pipeline.Tests.Synthetic;

/// <summary>
/// The synthetic networks behave like the real ones in the ways the pipeline relies on: deterministic,
/// prompt-dependent text embeddings; a lossy but faithful autoencoder; a denoiser whose one-step estimate
/// recovers the clean latent and depends on the prompt; a video denoiser that agrees with the image one on single frames.
/// </summary>
public sealed class SyntheticModelBehaviourTests(SyntheticPackFixture fixture, ITestOutputHelper output) : IClassFixture<SyntheticPackFixture>
{
    private const int Size = 512;

    // "a photo of an astronaut riding a horse on mars" and "a photo of a cat" (ids from shared/data/README.md).
    private static readonly long[] s_astronaut = [320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496];
    private static readonly long[] s_cat = [320, 1125, 539, 320, 2368];

    private static readonly SyntheticPackOptions s_turboOptions = new() { Taesd = true };

    private string Turbo => fixture.Pack("turbo", s_turboOptions);

    [Theory]
    [InlineData(SyntheticFamily.SdTurbo)]
    [InlineData(SyntheticFamily.Sd15)]
    public void Text_encoder_is_deterministic_and_prompt_dependent(SyntheticFamily family)
    {
        var options = new SyntheticPackOptions { Family = family, ImageSize = 64 };
        var pack = fixture.Pack("text-" + family, options);
        using var session = new InferenceSession(Path.Combine(pack, "text_encoder", "model.onnx"));
        int d = options.HiddenSize;

        float[] Encode(long[] ids, out float[] pooled)
        {
            var outputs = Run(session, ("input_ids", Tensor(ids, 1, 77)));
            pooled = outputs["pooler_output"];
            return outputs["last_hidden_state"];
        }

        var a1 = Encode(Ids(options.PadTokenId, s_astronaut), out var pooledA1);
        var a2 = Encode(Ids(options.PadTokenId, s_astronaut), out var pooledA2);
        var cat = Encode(Ids(options.PadTokenId, s_cat), out var pooledCat);

        Assert.Equal(a1, a2);
        Assert.Equal(pooledA1, pooledA2);
        Assert.Equal(77 * d, a1.Length);
        Assert.All(a1, v => Assert.True(float.IsFinite(v)));

        // The pooler is the hidden state at the first EOS (position 11 for the astronaut prompt).
        Assert.Equal(a1.AsSpan(11 * d, d).ToArray(), pooledA1);

        // Different prompts: clearly different, including at the shared first tokens' positions after the
        // first difference and at the padding (the sentence context reaches the padding, as in CLIP).
        double spread = Mse(a1, new float[a1.Length]);
        Assert.True(Mse(a1, cat) > 0.1 * spread, $"prompts too similar: {Mse(a1, cat)} vs {spread}");
        Assert.True(Mse(a1.AsSpan(60 * d, d), cat.AsSpan(60 * d, d)) > 0.05, "padding does not carry the prompt");
        Assert.True(Mse(pooledA1, pooledCat) > 0.05);

        // Causal: the shared prefix "a photo of" encodes identically.
        Assert.Equal(a1.AsSpan(0, 4 * d).ToArray(), cat.AsSpan(0, 4 * d).ToArray());
    }

    [Fact]
    public void Vae_round_trip_keeps_every_photo_above_20_dB()
    {
        using var encoder = new InferenceSession(Path.Combine(Turbo, "vae_encoder", "model.onnx"));
        using var decoder = new InferenceSession(Path.Combine(Turbo, "vae_decoder", "model.onnx"));
        var paths = ImagePaths();
        Assert.NotEmpty(paths);
        foreach (var path in paths)
        {
            var image01 = LoadImage01(path, Size);
            var pm1 = image01.Select(v => (2 * v) - 1).ToArray();
            var parameters = Run(encoder, ("sample", Tensor(pm1, 1, 3, Size, Size)))["latent_parameters"];
            int latentLength = 4 * (Size / 8) * (Size / 8);
            Assert.Equal(2 * latentLength, parameters.Length);
            Assert.All(parameters.AsSpan(latentLength).ToArray(), v => Assert.Equal(-20f, v));

            // What the pipeline does: mean × scaling factor into the scaled latent space, and back.
            var scaled = parameters.AsSpan(0, latentLength).ToArray().Select(v => v * 0.18215f).ToArray();
            double rms = Math.Sqrt(Mse(scaled, new float[scaled.Length]));
            Assert.InRange(rms, 0.3, 3.0);
            var unscaled = scaled.Select(v => v / 0.18215f).ToArray();
            var decoded = Run(decoder, ("latent_sample", Tensor(unscaled, 1, 4, Size / 8, Size / 8)))["sample"];
            Assert.All(decoded, v => Assert.InRange(v, -1f, 1f));
            double psnr = Psnr01(image01, decoded.Select(v => (v + 1) / 2).ToArray());
            output.WriteLine($"VAE   {Path.GetFileName(path)}: PSNR {psnr:F2} dB, scaled latent rms {rms:F2}");
            Assert.True(psnr >= 20, $"{Path.GetFileName(path)}: {psnr:F2} dB");
        }
    }

    [Fact]
    public void Taesd_round_trip_keeps_every_photo_above_20_dB_and_matches_the_scaled_vae_latents()
    {
        using var vaeEncoder = new InferenceSession(Path.Combine(Turbo, "vae_encoder", "model.onnx"));
        using var encoder = new InferenceSession(Path.Combine(Turbo, "taesd_encoder", "model.onnx"));
        using var decoder = new InferenceSession(Path.Combine(Turbo, "taesd_decoder", "model.onnx"));
        foreach (var path in ImagePaths())
        {
            var image01 = LoadImage01(path, Size);
            var latents = Run(encoder, ("sample", Tensor(image01, 1, 3, Size, Size)))["latent_sample"];
            var vae = Run(vaeEncoder, ("sample", Tensor(image01.Select(v => (2 * v) - 1).ToArray(), 1, 3, Size, Size)))["latent_parameters"];
            Assert.True(Mse(latents, vae.AsSpan(0, latents.Length).ToArray().Select(v => v * 0.18215f).ToArray()) < 1e-8);

            var decoded = Run(decoder, ("latent_sample", Tensor(latents, 1, 4, Size / 8, Size / 8)))["sample"];
            Assert.All(decoded, v => Assert.InRange(v, 0f, 1f));
            double psnr = Psnr01(image01, decoded);
            output.WriteLine($"TAESD {Path.GetFileName(path)}: PSNR {psnr:F2} dB");
            Assert.True(psnr >= 20, $"{Path.GetFileName(path)}: {psnr:F2} dB");
        }
    }

    [Fact]
    public void Fp16_vae_round_trip_matches_fp32()
    {
        var half = fixture.Pack("turbo-fp16", s_turboOptions with { Float16 = true, Taesd = false });
        double RoundTripPsnr(string pack, bool fp16)
        {
            using var encoder = new InferenceSession(Path.Combine(pack, "vae_encoder", "model.onnx"));
            using var decoder = new InferenceSession(Path.Combine(pack, "vae_decoder", "model.onnx"));
            var image01 = LoadImage01(ImagePaths()[0], Size);
            var pm1 = image01.Select(v => (2 * v) - 1).ToArray();
            var parameters = Run(encoder, ("sample", fp16 ? Half(pm1, 1, 3, Size, Size) : Tensor(pm1, 1, 3, Size, Size)))["latent_parameters"];
            var mean = parameters.AsSpan(0, 4 * (Size / 8) * (Size / 8)).ToArray();
            var decoded = Run(decoder, ("latent_sample", fp16 ? Half(mean, 1, 4, Size / 8, Size / 8) : Tensor(mean, 1, 4, Size / 8, Size / 8)))["sample"];
            return Psnr01(image01, decoded.Select(v => (v + 1) / 2).ToArray());
        }

        double full = RoundTripPsnr(Turbo, fp16: false), reduced = RoundTripPsnr(half, fp16: true);
        output.WriteLine($"fp32 {full:F3} dB, fp16 {reduced:F3} dB");
        Assert.True(reduced >= 20);
        Assert.InRange(full - reduced, -0.05, 0.2);
    }

    [Fact]
    public void Unet_one_step_estimate_recovers_the_clean_latent_and_depends_on_the_prompt()
    {
        using var unet = new InferenceSession(Path.Combine(Turbo, "unet", "model.onnx"));
        var table = SyntheticSchedule.AlphasCumprod();
        const int t = 359;
        float alpha = MathF.Sqrt(table[t]), sigma = MathF.Sqrt(1 - table[t]);
        Assert.Equal(0.4915, table[t], 3);

        foreach (var path in ImagePaths())
        {
            var (z, cat, astronaut, _) = PrepareLatentAndPrompts(Turbo, s_turboOptions, path);
            var noise = Gaussian(z.Length, 42);
            var xt = z.Select((v, i) => (alpha * v) + (sigma * noise[i])).ToArray();

            float[] Estimate(float[] states)
            {
                var eps = Run(
                    unet,
                    ("sample", Tensor(xt, 1, 4, Size / 8, Size / 8)),
                    ("timestep", Tensor(new float[] { t }, 1)),
                    ("encoder_hidden_states", Tensor(states, 1, 77, 1024)))["out_sample"];
                return xt.Select((v, i) => (v - (sigma * eps[i])) / alpha).ToArray();
            }

            var x0Cat = Estimate(cat);
            var x0Astronaut = Estimate(astronaut);
            double noisy = Mse(xt, z), estimated = Mse(x0Cat, z), betweenPrompts = Mse(x0Cat, x0Astronaut);
            output.WriteLine($"{Path.GetFileName(path)} t={t}: MSE(x_t, z) = {noisy:F4}, MSE(x0, z) = {estimated:F4} ({estimated / noisy:P0}), between prompts = {betweenPrompts:F4}");

            // A linear denoiser cannot restore the latent detail the noise hides, and the prompt tint costs a little,
            // so "much closer" here means at least halving the error; the photos measure 16-45 %.
            Assert.True(estimated < 0.5 * noisy, $"{Path.GetFileName(path)}: x0 estimate not much closer: {estimated} vs {noisy}");
            Assert.True(betweenPrompts > 0.005, $"{Path.GetFileName(path)}: prompt barely changes the output ({betweenPrompts})");
            Assert.Equal(x0Cat, Estimate(cat));
        }
    }

    [Fact]
    public void Video_denoiser_on_one_frame_clips_agrees_with_the_image_denoiser()
    {
        var imageOptions = s_turboOptions;
        var videoOptions = s_turboOptions with { Video = true, Taesd = false };
        var videoPack = fixture.Pack("turbo-video", videoOptions);
        var (z, cat, _, _) = PrepareLatentAndPrompts(Turbo, imageOptions);
        using var image = new InferenceSession(Path.Combine(Turbo, "unet", "model.onnx"));
        using var video = new InferenceSession(Path.Combine(videoPack, "unet", "model.onnx"));
        const int frames = 3, h = Size / 8, plane = h * h;
        float[] timesteps = [99, 359, 799];

        // Frame f = α_f z + σ_f η_f.
        var table = SyntheticSchedule.AlphasCumprod();
        var perFrame = new float[frames][];
        for (int f = 0; f < frames; f++)
        {
            float alpha = MathF.Sqrt(table[(int)timesteps[f]]), sigma = MathF.Sqrt(1 - table[(int)timesteps[f]]);
            var noise = Gaussian(z.Length, 100 + f);
            perFrame[f] = z.Select((v, i) => (alpha * v) + (sigma * noise[i])).ToArray();
        }

        for (int f = 0; f < frames; f++)
        {
            // A one-frame clip has no neighbours to mix with: the video denoiser is the image one per frame.
            var videoEps = Run(
                video,
                ("sample", Tensor(perFrame[f], 1, 4, 1, h, h)),
                ("timestep", Tensor(new[] { timesteps[f] }, 1, 1)),
                ("encoder_hidden_states", Tensor(cat, 1, 77, 1024)))["out_sample"];
            var imageEps = Run(
                image,
                ("sample", Tensor(perFrame[f], 1, 4, h, h)),
                ("timestep", Tensor(new[] { timesteps[f] }, 1)),
                ("encoder_hidden_states", Tensor(cat, 1, 77, 1024)))["out_sample"];
            for (int c = 0; c < 4; c++)
            {
                var fromVideo = videoEps.AsSpan(c * plane, plane);
                var fromImage = imageEps.AsSpan(c * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    Assert.True(MathF.Abs(fromVideo[i] - fromImage[i]) < 1e-4f, $"frame {f} channel {c} index {i}: {fromVideo[i]} vs {fromImage[i]}");
                }
            }
        }
    }

    [Fact]
    public void Unet_variants_compute_the_same_function()
    {
        // Scalar int64 timestep, fp16 I/O, timestep_cond and compute layers are contract or cost variants:
        // the output stays close to the default UNet's.
        var (z, cat, _, _) = PrepareLatentAndPrompts(Turbo, s_turboOptions);
        var reference = fixture.Pack("turbo", s_turboOptions);
        var scalar = fixture.Pack("turbo-scalar-int64", s_turboOptions with { Taesd = false, TimestepRank = SyntheticTimestepRank.Scalar, TimestepType = SyntheticTimestepType.Int64 });
        var half = fixture.Pack("turbo-fp16-cond-compute", s_turboOptions with { Taesd = false, Float16 = true, TimestepCond = true, ComputeLayers = 2, ComputeChannels = 16 });
        var noise = Gaussian(z.Length, 5);
        var xt = z.Select((v, i) => (0.7f * v) + (0.7f * noise[i])).ToArray();
        long[] shape = [1, 4, Size / 8, Size / 8];

        using var referenceSession = new InferenceSession(Path.Combine(reference, "unet", "model.onnx"));
        using var scalarSession = new InferenceSession(Path.Combine(scalar, "unet", "model.onnx"));
        using var halfSession = new InferenceSession(Path.Combine(half, "unet", "model.onnx"));
        var expected = Run(referenceSession, ("sample", Tensor(xt, shape)), ("timestep", Tensor(new float[] { 359 }, 1)), ("encoder_hidden_states", Tensor(cat, 1, 77, 1024)))["out_sample"];
        var fromScalar = Run(scalarSession, ("sample", Tensor(xt, shape)), ("timestep", Tensor(new long[] { 359 })), ("encoder_hidden_states", Tensor(cat, 1, 77, 1024)))["out_sample"];
        var fromHalf = Run(
            halfSession,
            ("sample", Half(xt, shape)),
            ("timestep", Tensor(new float[] { 359 }, 1)),
            ("encoder_hidden_states", Half(cat, 1, 77, 1024)),
            ("timestep_cond", Half(new float[256], 1, 256)))["out_sample"];

        Assert.True(Mse(expected, fromScalar) < 1e-10);
        double halfError = Mse(expected, fromHalf);
        output.WriteLine($"fp16+cond+compute vs fp32 reference: MSE {halfError:E2}");
        Assert.InRange(halfError, 1e-12, 1e-3);
    }

    /// <summary>z = the scaled VAE latent of a photo (the first by default); hidden states of the cat and astronaut prompts.</summary>
    private static (float[] Z, float[] Cat, float[] Astronaut, int PadId) PrepareLatentAndPrompts(string pack, SyntheticPackOptions options, string? imagePath = null)
    {
        using var encoder = new InferenceSession(Path.Combine(pack, "vae_encoder", "model.onnx"));
        using var text = new InferenceSession(Path.Combine(pack, "text_encoder", "model.onnx"));
        var image = LoadImage01(imagePath ?? ImagePaths()[0], Size).Select(v => (2 * v) - 1).ToArray();
        var parameters = Run(encoder, ("sample", Tensor(image, 1, 3, Size, Size)))["latent_parameters"];
        var z = parameters.AsSpan(0, 4 * (Size / 8) * (Size / 8)).ToArray().Select(v => v * 0.18215f).ToArray();
        var cat = Run(text, ("input_ids", Tensor(Ids(options.PadTokenId, s_cat), 1, 77)))["last_hidden_state"];
        var astronaut = Run(text, ("input_ids", Tensor(Ids(options.PadTokenId, s_astronaut), 1, 77)))["last_hidden_state"];
        return (z, cat, astronaut, options.PadTokenId);
    }
}
