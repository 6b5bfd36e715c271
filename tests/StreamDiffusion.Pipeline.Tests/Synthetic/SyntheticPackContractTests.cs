using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using StreamDiffusion.Pipeline.Models.Synthetic;
using Xunit.Abstractions;

namespace StreamDiffusion.Pipeline.Tests.Synthetic;

/// <summary>
/// Every family and variant writes, loads in ONNX Runtime with exactly the declared names, element types and ranks,
/// and runs on inputs of those types producing outputs of the expected shapes.
/// </summary>
public sealed class SyntheticPackContractTests(SyntheticPackFixture fixture, ITestOutputHelper output) : IClassFixture<SyntheticPackFixture>
{
    public static TheoryData<string> VariantNames => new(s_variants.Keys);

    private static readonly Dictionary<string, SyntheticPackOptions> s_variants = new()
    {
        ["turbo-default"] = new SyntheticPackOptions { Taesd = true },
        ["sd15-int32-scalar-int64"] = new SyntheticPackOptions
        {
            Family = SyntheticFamily.Sd15,
            ImageSize = 256,
            InputIdsType = SyntheticInputIdsType.Int32,
            TimestepRank = SyntheticTimestepRank.Scalar,
            TimestepType = SyntheticTimestepType.Int64,
            VaeEncoderOutput = SyntheticVaeEncoderOutput.LatentSample,
        },
        ["turbo-fp16-cond"] = new SyntheticPackOptions
        {
            ImageSize = 256,
            Float16 = true,
            TimestepType = SyntheticTimestepType.Float16,
            TimestepCond = true,
            Taesd = true,
        },
        ["sd15-compute"] = new SyntheticPackOptions { Family = SyntheticFamily.Sd15, ImageSize = 256, ComputeLayers = 2, ComputeChannels = 16 },
        ["video"] = new SyntheticPackOptions { Video = true, ImageSize = 256 },
        ["video-fp16-int64-cond-compute"] = new SyntheticPackOptions
        {
            Video = true,
            ImageSize = 128,
            Float16 = true,
            TimestepType = SyntheticTimestepType.Int64,
            TimestepCond = true,
            ComputeLayers = 1,
            ComputeChannels = 8,
            Taesd = true,
        },
    };

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Pack_has_the_optimum_layout_and_json_files(string variant)
    {
        var options = s_variants[variant];
        var pack = fixture.Pack(variant, options);

        foreach (var file in new[]
        {
            "model_index.json", "synthetic.json", "scheduler/scheduler_config.json",
            "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json",
            "text_encoder/model.onnx", "unet/model.onnx", "vae_encoder/model.onnx", "vae_decoder/model.onnx", "vae_decoder/config.json",
        })
        {
            Assert.True(File.Exists(Path.Combine(pack, file)), $"{variant}: missing {file}");
        }

        Assert.Equal(options.Taesd, File.Exists(Path.Combine(pack, "taesd_encoder", "model.onnx")));
        Assert.Equal(options.Taesd, File.Exists(Path.Combine(pack, "taesd_decoder", "model.onnx")));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(pack)!, "." + Path.GetFileName(pack) + ".*"));

        var scheduler = Json(pack, "scheduler/scheduler_config.json");
        Assert.Equal(0.00085, scheduler["beta_start"]!.GetValue<double>(), 10);
        Assert.Equal(0.012, scheduler["beta_end"]!.GetValue<double>(), 10);
        Assert.Equal("scaled_linear", scheduler["beta_schedule"]!.GetValue<string>());
        Assert.Equal(1000, scheduler["num_train_timesteps"]!.GetValue<int>());
        Assert.Equal("epsilon", scheduler["prediction_type"]!.GetValue<string>());
        if (options.Family == SyntheticFamily.SdTurbo)
        {
            Assert.Equal("LCMScheduler", scheduler["_class_name"]!.GetValue<string>());
        }

        Assert.Equal(0.18215, Json(pack, "vae_decoder/config.json")["scaling_factor"]!.GetValue<double>(), 5);
        Assert.Equal(
            options.Video ? "TextToVideoSDPipeline" : "StableDiffusionPipeline",
            Json(pack, "model_index.json")["_class_name"]!.GetValue<string>());

        string pad = options.Family == SyntheticFamily.Sd15 ? "<|endoftext|>" : "!";
        Assert.Equal(pad, Json(pack, "tokenizer/special_tokens_map.json")["pad_token"]!.GetValue<string>());
        Assert.Equal(pad, Json(pack, "tokenizer/tokenizer_config.json")["pad_token"]!.GetValue<string>());

        var marker = Json(pack, "synthetic.json")["options"]!;
        Assert.Equal(options.Family.ToString(), marker["Family"]!.GetValue<string>());
        Assert.Equal(options.ImageSize, marker["ImageSize"]!.GetValue<int>());
        Assert.Equal(options.Video, marker["Video"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Models_declare_the_contract_names_types_and_ranks(string variant)
    {
        var options = s_variants[variant];
        var pack = fixture.Pack(variant, options);
        int d = options.Family == SyntheticFamily.Sd15 ? 768 : 1024;
        var io = options.Float16 ? typeof(Float16) : typeof(float);

        using (var text = new InferenceSession(Path.Combine(pack, "text_encoder", "model.onnx")))
        {
            AssertSignature(text.InputMetadata, ("input_ids", options.InputIdsType == SyntheticInputIdsType.Int32 ? typeof(int) : typeof(long), [-1, 77]));
            AssertSignature(text.OutputMetadata, ("last_hidden_state", typeof(float), [-1, 77, d]), ("pooler_output", typeof(float), [-1, d]));
        }

        using (var unet = new InferenceSession(Path.Combine(pack, "unet", "model.onnx")))
        {
            int[] sample = options.Video ? [-1, 4, -1, -1, -1] : [-1, 4, -1, -1];
            int[] timestep = options.Video ? [-1, -1] : options.TimestepRank == SyntheticTimestepRank.Scalar ? [] : [-1];
            var timestepType = options.TimestepType switch
            {
                SyntheticTimestepType.Float16 => typeof(Float16),
                SyntheticTimestepType.Int64 => typeof(long),
                _ => typeof(float),
            };
            var inputs = new List<(string, Type, int[])>
            {
                ("sample", io, sample),
                ("timestep", timestepType, timestep),
                ("encoder_hidden_states", io, [-1, 77, d]),
            };
            if (options.TimestepCond)
            {
                inputs.Add(("timestep_cond", io, [-1, 256]));
            }

            AssertSignature(unet.InputMetadata, [.. inputs]);
            AssertSignature(unet.OutputMetadata, ("out_sample", io, sample));
        }

        using (var encoder = new InferenceSession(Path.Combine(pack, "vae_encoder", "model.onnx")))
        {
            AssertSignature(encoder.InputMetadata, ("sample", io, [-1, 3, -1, -1]));
            AssertSignature(
                encoder.OutputMetadata,
                options.VaeEncoderOutput == SyntheticVaeEncoderOutput.LatentParameters
                    ? ("latent_parameters", io, [-1, 8, -1, -1])
                    : ("latent_sample", io, [-1, 4, -1, -1]));
        }

        using (var decoder = new InferenceSession(Path.Combine(pack, "vae_decoder", "model.onnx")))
        {
            AssertSignature(decoder.InputMetadata, ("latent_sample", io, [-1, 4, -1, -1]));
            AssertSignature(decoder.OutputMetadata, ("sample", io, [-1, 3, -1, -1]));
        }

        if (options.Taesd)
        {
            using var taesdEncoder = new InferenceSession(Path.Combine(pack, "taesd_encoder", "model.onnx"));
            AssertSignature(taesdEncoder.InputMetadata, ("sample", io, [-1, 3, -1, -1]));
            AssertSignature(taesdEncoder.OutputMetadata, ("latent_sample", io, [-1, 4, -1, -1]));
            using var taesdDecoder = new InferenceSession(Path.Combine(pack, "taesd_decoder", "model.onnx"));
            AssertSignature(taesdDecoder.InputMetadata, ("latent_sample", io, [-1, 4, -1, -1]));
            AssertSignature(taesdDecoder.OutputMetadata, ("sample", io, [-1, 3, -1, -1]));
        }
    }

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Models_run_on_inputs_of_the_declared_types(string variant)
    {
        var options = s_variants[variant];
        var pack = fixture.Pack(variant, options);
        int d = options.HiddenSize;
        const int batch = 2, frames = 3, latent = 8, image = 64;

        using (var text = new InferenceSession(Path.Combine(pack, "text_encoder", "model.onnx")))
        {
            var ids = Enumerable.Range(0, batch * 77).Select(i => (long)(i * 7919 % 49408)).ToArray();
            using var idsValue = options.InputIdsType == SyntheticInputIdsType.Int32
                ? OrtValue.CreateTensorValueFromMemory(ids.Select(i => (int)i).ToArray(), [batch, 77])
                : OrtValue.CreateTensorValueFromMemory(ids, [batch, 77]);
            var shapes = RunShapes(text, ("input_ids", idsValue));
            Assert.Equal([batch, 77, d], shapes["last_hidden_state"]);
            Assert.Equal([batch, d], shapes["pooler_output"]);
        }

        using (var unet = new InferenceSession(Path.Combine(pack, "unet", "model.onnx")))
        {
            long[] sampleShape = options.Video ? [batch, 4, frames, latent, latent] : [batch, 4, latent, latent];
            long[] timestepShape = options.Video ? [batch, frames] : options.TimestepRank == SyntheticTimestepRank.Scalar ? [] : [batch];
            int timesteps = (int)timestepShape.Aggregate(1L, (a, b) => a * b);
            var t = Enumerable.Range(0, timesteps).Select(i => 999f - (250 * i)).ToArray();
            using var sample = Floating(options.Float16, SyntheticTestData.Gaussian((int)sampleShape.Aggregate(1L, (a, b) => a * b), 1), sampleShape);
            using var timestep = options.TimestepType switch
            {
                SyntheticTimestepType.Int64 => OrtValue.CreateTensorValueFromMemory(t.Select(v => (long)v).ToArray(), timestepShape),
                SyntheticTimestepType.Float16 => Floating(true, t, timestepShape),
                _ => Floating(false, t, timestepShape),
            };
            using var states = Floating(options.Float16, SyntheticTestData.Gaussian(batch * 77 * d, 2), [batch, 77, d]);
            using var cond = Floating(options.Float16, SyntheticTestData.Gaussian(batch * 256, 3), [batch, 256]);
            var inputs = new List<(string, OrtValue)> { ("sample", sample), ("timestep", timestep), ("encoder_hidden_states", states) };
            if (options.TimestepCond)
            {
                inputs.Add(("timestep_cond", cond));
            }

            var shapes = RunShapes(unet, [.. inputs]);
            Assert.Equal(sampleShape, shapes["out_sample"]);
        }

        foreach (var prefix in options.Taesd ? new[] { "vae", "taesd" } : ["vae"])
        {
            using var encoder = new InferenceSession(Path.Combine(pack, prefix + "_encoder", "model.onnx"));
            using var pixels = Floating(options.Float16, new float[batch * 3 * image * image], [batch, 3, image, image]);
            var encoded = RunShapes(encoder, ("sample", pixels)).Single().Value;
            Assert.Equal([batch, prefix == "vae" && options.VaeEncoderOutput == SyntheticVaeEncoderOutput.LatentParameters ? 8 : 4, latent, latent], encoded);

            using var decoder = new InferenceSession(Path.Combine(pack, prefix + "_decoder", "model.onnx"));
            using var latents = Floating(options.Float16, new float[batch * 4 * latent * latent], [batch, 4, latent, latent]);
            Assert.Equal([batch, 3, image, image], RunShapes(decoder, ("latent_sample", latents))["sample"]);
        }
    }

    [Fact]
    public void A_512_pack_writes_quickly_and_is_small()
    {
        // Timing is printed, not asserted (shared CI machines vary).
        var pack = fixture.Pack("turbo-default", s_variants["turbo-default"]);
        long bytes = Directory.EnumerateFiles(pack, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var again = Path.Combine(fixture.Root, "turbo-default-again");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        SyntheticPackWriter.Write(again, s_variants["turbo-default"]);
        output.WriteLine(
            $"512 sd-turbo pack with TAESD: first write {fixture.WriteMilliseconds["turbo-default"]:F0} ms (includes JIT), " +
            $"second {watch.Elapsed.TotalMilliseconds:F0} ms, {bytes / 1e6:F1} MB");
        Assert.InRange(bytes, 1_000_000, 40_000_000);
    }

    private static JsonNode Json(string pack, string relative) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(pack, relative)))!;

    private static OrtValue Floating(bool half, float[] data, long[] shape) =>
        half ? SyntheticTestData.Half(data, shape) : SyntheticTestData.Tensor(data, shape);

    private static Dictionary<string, long[]> RunShapes(InferenceSession session, params (string Name, OrtValue Value)[] inputs)
    {
        using var results = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), session.OutputNames.ToArray());
        var shapes = new Dictionary<string, long[]>();
        for (int i = 0; i < results.Count; i++)
        {
            var info = results[i].GetTensorTypeAndShape();
            shapes[session.OutputNames[i]] = info.Shape;
            Assert.Equal(session.OutputMetadata[session.OutputNames[i]].ElementDataType, info.ElementDataType);
        }

        return shapes;
    }

    private static void AssertSignature(IReadOnlyDictionary<string, NodeMetadata> metadata, params (string Name, Type ElementType, int[] Dims)[] expected)
    {
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), metadata.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, type, dims) in expected)
        {
            var node = metadata[name];
            Assert.True(node.IsTensor, name);
            Assert.Equal(type, node.ElementType);
            Assert.Equal(dims, node.Dimensions);
        }
    }
}
