using System.Text;

namespace StreamDiffusion.Pipeline.Tests.Hub;

/// <summary>
/// A small pack in the optimum ONNX layout: real JSON configs, tokenizer files, and ONNX-like binaries
/// (a protobuf ModelProto prefix followed by seeded bytes) with external data large enough to span several reads.
/// </summary>
internal static class HubTestPack
{
    public const string Repository = "test-org/sd-turbo-onnx";

    public static Dictionary<string, byte[]> Create()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [".gitattributes"] = Text("*.onnx filter=lfs diff=lfs merge=lfs -text\n*.onnx_data filter=lfs diff=lfs merge=lfs -text\n"),
            ["README.md"] = Text("# sd-turbo ONNX\nExported with optimum.\n"),
            ["model_index.json"] = Text("{\n  \"_class_name\": \"StableDiffusionPipeline\",\n  \"_diffusers_version\": \"0.30.0\"\n}\n"),
            ["scheduler/scheduler_config.json"] = Text("{\"beta_start\":0.00085,\"beta_end\":0.012,\"beta_schedule\":\"scaled_linear\",\"num_train_timesteps\":1000,\"prediction_type\":\"epsilon\"}"),
            ["tokenizer/vocab.json"] = Text("{\"!\":0,\"a</w>\":320,\"photo</w>\":1125,\"<|startoftext|>\":49406,\"<|endoftext|>\":49407}"),
            ["tokenizer/merges.txt"] = Text("#version: 0.2\np h\nph o\npho t\nphot o</w>\n"),
            ["tokenizer/added_tokens.txt"] = [],
            ["tokenizer/special_tokens_map.json"] = Text("{\"bos_token\":\"<|startoftext|>\",\"eos_token\":\"<|endoftext|>\",\"pad_token\":\"!\"}"),
            ["text_encoder/model.onnx"] = Onnx(40_000, seed: 1),
            ["unet/model.onnx"] = Onnx(65_000, seed: 2),
            ["unet/model.onnx_data"] = Bytes(700_000, seed: 3),
            ["unet/diffusion_pytorch_model.safetensors"] = Bytes(50_000, seed: 4),
            ["vae_decoder/model.onnx"] = Onnx(30_000, seed: 5),
            ["vae_encoder/model.onnx"] = Onnx(30_000, seed: 6),
        };
        return files;
    }

    /// <summary>The files a default pull (ONNX only, no framework weights, no git metadata) should produce.</summary>
    public static IEnumerable<string> DefaultSelection(IReadOnlyDictionary<string, byte[]> files)
        => files.Keys.Where(k => k != ".gitattributes" && !k.EndsWith(".safetensors", StringComparison.Ordinal));

    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Onnx(int size, int seed)
    {
        // ir_version = 8, producer_name = "pytorch", producer_version = "2.1.0", then payload.
        byte[] prefix = [0x08, 0x08, 0x12, 0x07, .. "pytorch"u8, 0x1A, 0x05, .. "2.1.0"u8];
        var data = Bytes(size, seed);
        prefix.CopyTo(data, 0);
        return data;
    }

    private static byte[] Bytes(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }
}
