using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>
/// Every synthetic family loads through the same loader as a real pack and runs its text encoder,
/// VAE round trip and UNet; the loader adapts to each dtype/rank variant and gives the same
/// numbers; broken packs are refused at load with a message naming file, tensor and expectation.
/// </summary>
public sealed class ModelPackLoaderTests(SyntheticPackFixture packs) : IClassFixture<SyntheticPackFixture>
{
    private const int Size = 512;

    // CLIP ids of "a photo of a cat" and "a photo of an astronaut riding a horse on mars" (shared/data/README.md).
    private static readonly long[] s_cat = [49406, 320, 1125, 539, 320, 2368, 49407];
    private static readonly long[] s_astronaut = [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407];

    private static SyntheticPackOptions Turbo => new() { ImageSize = Size, TokenizerSource = TestPaths.ClipVocabulary };

    public static TheoryData<string> Families => ["sd-turbo", "sd15", "sd-turbo+taesd"];

    private static SyntheticPackOptions FamilyOptions(string family) => family switch
    {
        "sd15" => Turbo with { Family = SyntheticFamily.Sd15 },
        "sd-turbo+taesd" => Turbo with { Taesd = true },
        _ => Turbo,
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Every_family_loads_and_runs_text_encoder_vae_and_unet(string family)
    {
        var options = FamilyOptions(family);
        using var pack = ModelPack.Load(packs.Get(options));

        Assert.Equal(options.HiddenSize, pack.HiddenSize);
        Assert.Equal(family == "sd15" ? ModelFamily.Sd15 : ModelFamily.Sd2, pack.Family);
        Assert.Equal(ExecutionProvider.Cpu, pack.Provider);
        Assert.Equal(0.18215f, pack.ScalingFactor);
        Assert.Equal(family.Contains("taesd", StringComparison.Ordinal) ? "taesd" : "vae", pack.Codec.Name);

        // Text encoder: deterministic, prompt-dependent.
        var cat = Encode(pack, s_cat, options.PadTokenId);
        var catAgain = Encode(pack, s_cat, options.PadTokenId);
        var astronaut = Encode(pack, s_astronaut, options.PadTokenId);
        Assert.Equal(77 * pack.HiddenSize, cat.Length);
        Assert.Equal(cat, catAgain);
        Assert.True(TestImages.MeanSquaredError(cat, astronaut) > 1e-4, "different prompts must give different embeddings");

        // VAE round trip keeps the picture.
        var image = TestImages.LoadSquare(TestPaths.Image("astronaut.png"), Size);
        var latents = new float[4 * (Size / 8) * (Size / 8)];
        var decoded = new float[image.Length];
        pack.Codec.Encode(image, 1, Size, Size, latents);
        pack.Codec.Decode(latents, 1, Size, Size, decoded);
        Assert.True(TestImages.Psnr(image, decoded) >= 20, $"round trip PSNR {TestImages.Psnr(image, decoded):F2} dB");

        // UNet: one denoising step from t = 359 lands closer to the clean latent than the noisy input.
        var schedule = AlphaBar(359);
        var (alpha, sigma) = ((float)Math.Sqrt(schedule), (float)Math.Sqrt(1 - schedule));
        var noise = GaussianNoise(latents.Length, seed: 7);
        var noisy = latents.Select((z, i) => (alpha * z) + (sigma * noise[i])).ToArray();
        var epsilon = new float[noisy.Length];
        pack.Unet.PredictNoise(noisy, [359f], cat, epsilon, new LatentShape(1, 4, Size / 8, Size / 8));
        var estimate = noisy.Select((x, i) => (x - (sigma * epsilon[i])) / alpha).ToArray();
        Assert.All(epsilon, e => Assert.True(float.IsFinite(e)));
        Assert.True(TestImages.MeanSquaredError(estimate, latents) < 0.5 * TestImages.MeanSquaredError(noisy.Select(x => x / alpha).ToArray(), latents));
    }

    [Fact]
    public void Video_pack_loads_as_a_video_denoiser_and_runs_clips_with_per_frame_timesteps()
    {
        var options = Turbo with { Video = true, ImageSize = 256 };
        using var pack = ModelPack.Load(packs.Get(options));
        Assert.True(pack.Unet.IsVideo);
        Assert.Equal(256, pack.ImageSize); // symbolic graph axes: unet/config.json sample_size (32) x 8
        const int frames = 3;
        const int side = 32;
        var clip = GaussianNoise(4 * frames * side * side, seed: 3);
        var noise = new float[clip.Length];
        var embedding = Encode(pack, s_cat, options.PadTokenId);
        pack.Unet.PredictClipNoise(clip, [999f, 599f, 99f], embedding, noise, 1, 4, frames, side, side);
        Assert.All(noise, e => Assert.True(float.IsFinite(e)));

        // The engine's path: a clip is one item of Frames frames, with one timestep per frame.
        var viaItems = new float[clip.Length];
        pack.Unet.PredictNoise(clip, [999f, 599f, 99f], embedding, viaItems, new LatentShape(1, 4, side, side) { Frames = frames });
        Assert.Equal(noise, viaItems);
    }

    public static TheoryData<string> Variants =>
    [
        "ids-int32", "timestep-scalar", "timestep-int64", "timestep-float16", "fp16-io", "vae-latent-sample", "timestep-cond",
    ];

    private static SyntheticPackOptions VariantOptions(string variant) => variant switch
    {
        "ids-int32" => Turbo with { InputIdsType = SyntheticInputIdsType.Int32 },
        "timestep-scalar" => Turbo with { TimestepRank = SyntheticTimestepRank.Scalar },
        "timestep-int64" => Turbo with { TimestepType = SyntheticTimestepType.Int64 },
        "timestep-float16" => Turbo with { TimestepType = SyntheticTimestepType.Float16 },
        "fp16-io" => Turbo with { Float16 = true },
        "vae-latent-sample" => Turbo with { VaeEncoderOutput = SyntheticVaeEncoderOutput.LatentSample },
        "timestep-cond" => Turbo with { TimestepCond = true },
        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Loader_adapts_to_each_variant_and_matches_the_reference_pack(string variant)
    {
        using var reference = ModelPack.Load(packs.Get(Turbo));
        using var pack = ModelPack.Load(packs.Get(VariantOptions(variant)));
        var tolerance = variant == "fp16-io" ? 2e-2 : variant == "timestep-cond" ? double.MaxValue : 1e-4;

        var expectedText = Encode(reference, s_cat, 0);
        var text = Encode(pack, s_cat, 0);
        AssertClose(expectedText, text, variant == "fp16-io" ? 1e-4 : 1e-6, "text embedding");

        // A batch mixing timesteps: a scalar-timestep graph must be split into runs transparently.
        const int side = 16;
        var shape = new LatentShape(3, 4, side, side);
        var latents = GaussianNoise(shape.Length, seed: 11);
        float[] timesteps = [999f, 359f, 359f];
        var embeddings = expectedText.Concat(expectedText).Concat(expectedText).ToArray();
        var expected = new float[shape.Length];
        var actual = new float[shape.Length];
        reference.Unet.PredictNoise(latents, timesteps, embeddings, expected, shape);
        pack.Unet.PredictNoise(latents, timesteps, embeddings, actual, shape);
        Assert.All(actual, e => Assert.True(float.IsFinite(e)));
        AssertClose(expected, actual, tolerance, "unet noise");

        var image = TestImages.LoadSquare(TestPaths.Image("chelsea.png"), 64);
        var expectedLatents = new float[4 * 8 * 8];
        var actualLatents = new float[4 * 8 * 8];
        reference.Codec.Encode(image, 1, 64, 64, expectedLatents);
        pack.Codec.Encode(image, 1, 64, 64, actualLatents);
        AssertClose(expectedLatents, actualLatents, variant == "fp16-io" ? 2e-2 : 1e-4, "vae latents");
    }

    [Fact]
    public void Image_size_comes_from_unet_config_and_a_bad_sample_size_is_refused()
    {
        var dir = packs.CopyOf(Turbo);
        using (var pack = ModelPack.Load(dir))
        {
            Assert.Equal(Size, pack.ImageSize);
        }

        File.WriteAllText(Path.Combine(dir, "unet", "config.json"), "{\"sample_size\": 96}");
        using (var pack = ModelPack.Load(dir))
        {
            Assert.Equal(768, pack.ImageSize);
        }

        File.WriteAllText(Path.Combine(dir, "unet", "config.json"), "{\"sample_size\": -3}");
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains("sample_size", error.Message, StringComparison.Ordinal);

        File.Delete(Path.Combine(dir, "unet", "config.json"));
        using var fallback = ModelPack.Load(dir);
        Assert.Equal(512, fallback.ImageSize);
    }

    [Fact]
    public void Missing_model_file_is_refused_naming_the_file()
    {
        var dir = packs.CopyOf(Turbo);
        File.Delete(Path.Combine(dir, "unet", "model.onnx"));
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains(Path.Combine("unet", "model.onnx"), error.Message, StringComparison.Ordinal);
        Assert.Contains("file not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_onnx_file_is_refused_naming_the_file()
    {
        var dir = packs.CopyOf(Turbo);
        File.WriteAllBytes(Path.Combine(dir, "vae_decoder", "model.onnx"), [1, 2, 3, 4, 5, 6, 7, 8]);
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains(Path.Combine("vae_decoder", "model.onnx"), error.Message, StringComparison.Ordinal);
        Assert.Contains("could not load", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_graph_in_a_slot_is_refused_naming_tensor_and_expectation()
    {
        var dir = packs.CopyOf(Turbo);
        File.Copy(Path.Combine(dir, "vae_encoder", "model.onnx"), Path.Combine(dir, "vae_decoder", "model.onnx"), overwrite: true);
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains(Path.Combine("vae_decoder", "model.onnx"), error.Message, StringComparison.Ordinal);
        Assert.Contains("'sample'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[batch,4,h,w]", error.Message, StringComparison.Ordinal);

        dir = packs.CopyOf(Turbo);
        File.Copy(Path.Combine(dir, "text_encoder", "model.onnx"), Path.Combine(dir, "unet", "model.onnx"), overwrite: true);
        error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains(Path.Combine("unet", "model.onnx"), error.Message, StringComparison.Ordinal);
        Assert.Contains("missing input 'sample'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_encoder_from_another_family_is_refused_naming_both_files()
    {
        var dir = packs.CopyOf(Turbo);
        var sd15 = packs.Get(Turbo with { Family = SyntheticFamily.Sd15 });
        File.Copy(Path.Combine(sd15, "text_encoder", "model.onnx"), Path.Combine(dir, "text_encoder", "model.onnx"), overwrite: true);
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains("1024", error.Message, StringComparison.Ordinal);
        Assert.Contains("768", error.Message, StringComparison.Ordinal);
        Assert.Contains("text_encoder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_scaling_factor_and_missing_tokenizer_are_refused()
    {
        var dir = packs.CopyOf(Turbo);
        File.WriteAllText(Path.Combine(dir, "vae_decoder", "config.json"), "{\"scaling_factor\": \"big\"}");
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains("scaling_factor", error.Message, StringComparison.Ordinal);

        dir = packs.CopyOf(Turbo);
        File.Delete(Path.Combine(dir, "tokenizer", "merges.txt"));
        error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir));
        Assert.Contains("merges.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_execution_provider_is_a_clear_error_or_an_explicit_fallback()
    {
        var dir = packs.Get(Turbo);
        var error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir, new ModelPackOptions { Provider = ExecutionProvider.Cuda }));
        Assert.Contains("CUDAExecutionProvider", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ModelPackException>(() => ModelPack.Load(dir, new ModelPackOptions { Provider = ExecutionProvider.TensorRT }));
        Assert.Contains("TensorrtExecutionProvider", error.Message, StringComparison.Ordinal);

        using var pack = ModelPack.Load(dir, new ModelPackOptions { Provider = ExecutionProvider.Cuda, AllowProviderFallback = true });
        Assert.Equal(ExecutionProvider.Cpu, pack.Provider);
    }

    [Fact]
    public void Inspect_lists_every_onnx_file_and_the_conclusions()
    {
        var inspection = ModelPackInspection.Inspect(packs.Get(Turbo with { Taesd = true }));
        Assert.Null(inspection.LoadError);
        Assert.Equal(
            ["taesd_decoder/model.onnx", "taesd_encoder/model.onnx", "text_encoder/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx", "vae_encoder/model.onnx"],
            inspection.Files.Select(f => f.RelativePath.Replace('\\', '/')).ToArray());
        var unet = inspection.Files.Single(f => f.RelativePath.StartsWith("unet", StringComparison.Ordinal));
        Assert.Equal(["sample", "timestep", "encoder_hidden_states"], unet.Inputs.Select(i => i.Name).ToArray());
        Assert.Equal("float32", unet.Inputs[0].ElementTypeText);
        Assert.Equal(4, unet.Inputs[0].Rank);
        Assert.Equal("out_sample", unet.Outputs.Single().Name);
        var conclusions = inspection.Conclusions.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("1024", conclusions["hidden size"]);
        Assert.Equal("latent_parameters (mean‖logvar)", conclusions["vae encoder output"]);
        Assert.Equal("0.18215", conclusions["scaling factor"]);
    }

    private static float[] Encode(ModelPack pack, long[] ids, long pad)
    {
        var padded = Enumerable.Repeat(pad, 77).ToArray();
        ids.CopyTo(padded, 0);
        var output = new float[77 * pack.HiddenSize];
        pack.TextEncoder.Encode(padded, 1, output);
        return output;
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a) / Math.Max(1.0, Math.Abs(e))).Max();
        Assert.True(worst <= tolerance, $"{what}: worst relative difference {worst:G3} > {tolerance:G3}");
    }

    private static double AlphaBar(int t)
    {
        double product = 1;
        for (var i = 0; i <= t; i++)
        {
            var beta = Math.Pow(Math.Sqrt(0.00085) + (i / 999.0 * (Math.Sqrt(0.012) - Math.Sqrt(0.00085))), 2);
            product *= 1 - beta;
        }

        return product;
    }

    private static float[] GaussianNoise(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }
}
