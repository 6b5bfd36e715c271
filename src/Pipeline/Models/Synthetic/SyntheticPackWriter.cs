using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Onnx;

namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// Writes a Stable Diffusion model pack made of real ONNX graphs with seeded weights, in the layout Hugging Face
/// optimum exports (model_index.json, scheduler/, tokenizer/, text_encoder/, unet/, vae_encoder/, vae_decoder/,
/// optionally taesd_encoder/ and taesd_decoder/), plus a <c>synthetic.json</c> marker describing the options.
/// The networks are small hand-built models with the real contracts (names, ranks, element types): a CLIP-shaped
/// text encoder, a plausible epsilon denoiser and a lossy 8x autoencoder, so img2img output resembles its input,
/// different prompts give different outputs and the same seed gives the same output. A 512 pack takes well under a
/// second to write.
/// </summary>
public static class SyntheticPackWriter
{
    /// <summary>File name of the marker that says a folder holds a complete synthetic pack.</summary>
    public const string MarkerFileName = "synthetic.json";

    private static readonly JsonSerializerOptions s_markerJson = new(SyntheticTokenizerFiles.s_json)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Writes a pack into <paramref name="outputDirectory"/>, replacing a previous synthetic pack there.
    /// The pack is built in a temporary sibling folder and renamed into place, so a half-written pack never
    /// looks complete. To avoid destroying a real pack, an existing non-empty folder without the
    /// <see cref="MarkerFileName"/> marker is refused with an <see cref="IOException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The options cannot make a pack.</exception>
    /// <exception cref="IOException">The target exists and is not a synthetic pack, or the file system failed.</exception>
    public static void Write(string outputDirectory, SyntheticPackOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var target = Path.GetFullPath(outputDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{outputDirectory}' has no parent folder.");
        var name = Path.GetFileName(target);
        EnsureReplaceable(target);
        Directory.CreateDirectory(parent);

        var staging = Path.Combine(parent, string.Create(CultureInfo.InvariantCulture, $".{name}.tmp-{Guid.NewGuid():N}"));
        try
        {
            WriteContents(staging, options);
            Publish(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static void WriteContents(string root, SyntheticPackOptions options)
    {
        Directory.CreateDirectory(root);
        var map = SyntheticColourMap.Create(options.Seed);

        WriteModel(root, "text_encoder", SyntheticTextEncoder.Build(options), new JsonObject
        {
            ["architectures"] = new JsonArray("CLIPTextModel"),
            ["model_type"] = "clip_text_model",
            ["hidden_size"] = options.HiddenSize,
            ["max_position_embeddings"] = SyntheticTextEncoder.SequenceLength,
            ["vocab_size"] = SyntheticTextEncoder.VocabularyRange,
            ["bos_token_id"] = SyntheticTokenizerFiles.StartOfTextId,
            ["eos_token_id"] = SyntheticTokenizerFiles.EndOfTextId,
            ["pad_token_id"] = options.PadTokenId,
        });

        var unetConfig = new JsonObject
        {
            ["_class_name"] = options.Video ? "UNet3DConditionModel" : "UNet2DConditionModel",
            ["in_channels"] = 4,
            ["out_channels"] = 4,
            ["sample_size"] = options.LatentSize,
            ["cross_attention_dim"] = options.HiddenSize,
        };
        if (options.TimestepCond)
        {
            unetConfig["time_cond_proj_dim"] = SyntheticUNet.TimestepCondSize;
        }

        WriteModel(root, "unet", SyntheticUNet.Build(options, map), unetConfig);
        WriteModel(root, "vae_encoder", SyntheticVae.BuildEncoder(options, map, taesd: false), VaeConfig(options, "AutoencoderKL", SyntheticColourMap.ScalingFactor));
        WriteModel(root, "vae_decoder", SyntheticVae.BuildDecoder(options, map, taesd: false), VaeConfig(options, "AutoencoderKL", SyntheticColourMap.ScalingFactor));
        if (options.Taesd)
        {
            // The synthetic TAESD works on [0,1] like the original; its config says so, since the class name alone means [−1,1].
            WriteModel(root, "taesd_encoder", SyntheticVae.BuildEncoder(options, map, taesd: true), TaesdConfig(options));
            WriteModel(root, "taesd_decoder", SyntheticVae.BuildDecoder(options, map, taesd: true), TaesdConfig(options));
        }

        SyntheticTokenizerFiles.Write(Path.Combine(root, "tokenizer"), options);
        WriteJson(Path.Combine(root, "scheduler", "scheduler_config.json"), SchedulerConfig(options));
        WriteJson(Path.Combine(root, "model_index.json"), ModelIndex(options));

        // The marker goes last: its presence means every other file was written.
        var marker = new JsonObject
        {
            ["generator"] = "StreamDiffusion.Net SyntheticPackWriter",
            ["format_version"] = 1,
            ["note"] = "Synthetic pack: hand-built ONNX graphs with seeded weights, not a trained model.",
            ["options"] = JsonSerializer.SerializeToNode(options, s_markerJson),
        };
        WriteJson(Path.Combine(root, MarkerFileName), marker);
    }

    private static void WriteModel(string root, string folder, ModelProto model, JsonObject config)
    {
        var directory = Path.Combine(root, folder);
        Directory.CreateDirectory(directory);
        model.WriteToFile(Path.Combine(directory, "model.onnx"));
        WriteJson(Path.Combine(directory, "config.json"), config);
    }

    private static JsonObject TaesdConfig(SyntheticPackOptions options)
    {
        var config = VaeConfig(options, "AutoencoderTiny", 1.0f);
        config["image_range"] = "[0,1]";
        return config;
    }

    private static JsonObject VaeConfig(SyntheticPackOptions options, string className, float scalingFactor) => new()
    {
        ["_class_name"] = className,
        ["in_channels"] = 3,
        ["out_channels"] = 3,
        ["latent_channels"] = 4,
        ["sample_size"] = options.ImageSize,
        ["scaling_factor"] = scalingFactor,
    };

    private static JsonObject SchedulerConfig(SyntheticPackOptions options)
    {
        var config = new JsonObject
        {
            ["_class_name"] = options.Family == SyntheticFamily.SdTurbo ? "LCMScheduler" : "PNDMScheduler",
            ["beta_start"] = SyntheticSchedule.BetaStart,
            ["beta_end"] = SyntheticSchedule.BetaEnd,
            ["beta_schedule"] = "scaled_linear",
            ["num_train_timesteps"] = SyntheticSchedule.TrainTimesteps,
            ["prediction_type"] = "epsilon",
            ["clip_sample"] = false,
            ["set_alpha_to_one"] = false,
            ["steps_offset"] = 1,
            ["timestep_spacing"] = "leading",
            ["trained_betas"] = null,
        };
        if (options.Family == SyntheticFamily.SdTurbo)
        {
            config["original_inference_steps"] = 50;
            config["timestep_scaling"] = 10.0;
        }
        else
        {
            config["skip_prk_steps"] = true;
        }

        return config;
    }

    private static JsonObject ModelIndex(SyntheticPackOptions options) => new()
    {
        ["_class_name"] = options.Video ? "TextToVideoSDPipeline" : "StableDiffusionPipeline",
        ["_diffusers_version"] = "0.30.0",
        ["scheduler"] = new JsonArray("diffusers", options.Family == SyntheticFamily.SdTurbo ? "LCMScheduler" : "PNDMScheduler"),
        ["text_encoder"] = new JsonArray("transformers", "CLIPTextModel"),
        ["tokenizer"] = new JsonArray("transformers", "CLIPTokenizer"),
        ["unet"] = new JsonArray("diffusers", options.Video ? "UNet3DConditionModel" : "UNet2DConditionModel"),
        ["vae"] = new JsonArray("diffusers", "AutoencoderKL"),
    };

    private static void WriteJson(string path, JsonNode node)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, node.ToJsonString(SyntheticTokenizerFiles.s_json));
    }

    private static void EnsureReplaceable(string target)
    {
        if (File.Exists(target))
        {
            throw new IOException($"Cannot write a synthetic pack to '{target}': a file has that name.");
        }

        if (Directory.Exists(target)
            && !File.Exists(Path.Combine(target, MarkerFileName))
            && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException(
                $"Cannot write a synthetic pack to '{target}': the folder is not empty and has no {MarkerFileName} " +
                "marker, so it may hold a real model pack. Choose another folder or delete it.");
        }
    }

    private static void Publish(string staging, string target)
    {
        string? retired = null;
        if (Directory.Exists(target))
        {
            // Move the old pack aside first: Directory.Move cannot replace a folder.
            retired = Path.Combine(Path.GetDirectoryName(target)!, string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}"));
            Directory.Move(target, retired);
        }

        try
        {
            Directory.Move(staging, target);
        }
        catch (IOException) when (File.Exists(Path.Combine(target, MarkerFileName)))
        {
            // Another writer published a complete pack in the meantime; keep theirs.
        }
        catch (Exception) when (retired is not null && !Directory.Exists(target))
        {
            // Put the previous pack back rather than leave nothing.
            Directory.Move(retired, target);
            retired = null;
            throw;
        }

        if (retired is not null && Directory.Exists(retired))
        {
            Directory.Delete(retired, recursive: true);
        }
    }
}
