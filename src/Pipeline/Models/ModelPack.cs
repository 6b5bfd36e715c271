using System.Text.Json;
using Microsoft.Extensions.Logging;
using StreamDiffusion.Pipeline.Models.Onnx;
using StreamDiffusion.Pipeline.Models.Tokenization;
using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// A Stable Diffusion model pack loaded from a folder in the Hugging Face optimum layout
/// (DESIGN.md section 3): text encoder, UNet (or video denoiser), VAE encoder/decoder, optional
/// TAESD, tokenizer and scheduler config. Loaded once per host and shared by every session.
/// </summary>
public sealed class ModelPack : IDisposable
{
    /// <summary>VAE scaling factor of SD 1.x/2.x, used when the pack does not say.</summary>
    public const float DefaultScalingFactor = 0.18215f;

    private ModelPack(string directory)
    {
        Directory = directory;
    }

    /// <summary>Folder the pack was loaded from.</summary>
    public string Directory { get; }

    /// <summary>Family from the embedding width.</summary>
    public ModelFamily Family { get; private set; }

    /// <summary>Text embedding width D.</summary>
    public int HiddenSize { get; private set; }

    /// <summary>Native image size in pixels (from static graph shapes, else 512).</summary>
    public int ImageSize { get; private set; }

    /// <summary>VAE latent scaling factor.</summary>
    public float ScalingFactor { get; private set; }

    /// <summary>Provider every session of this pack runs on.</summary>
    public ExecutionProvider Provider { get; private set; }

    /// <summary>The text encoder.</summary>
    public TextEncoderModel TextEncoder { get; private set; } = null!;

    /// <summary>The denoiser (image UNet or video denoiser).</summary>
    public UnetModel Unet { get; private set; } = null!;

    /// <summary>The full VAE encoder.</summary>
    public VaeEncoderModel VaeEncoder { get; private set; } = null!;

    /// <summary>The full VAE decoder.</summary>
    public VaeDecoderModel VaeDecoder { get; private set; } = null!;

    /// <summary>TAESD encoder when the pack has one.</summary>
    public TaesdModel? TaesdEncoder { get; private set; }

    /// <summary>TAESD decoder when the pack has one.</summary>
    public TaesdModel? TaesdDecoder { get; private set; }

    /// <summary>The codec the pipeline uses: TAESD when present and preferred, else the VAE.</summary>
    public ILatentCodec Codec { get; private set; } = null!;

    /// <summary>The full VAE as a codec (for quality comparisons even when TAESD is preferred).</summary>
    public ILatentCodec VaeCodec { get; private set; } = null!;

    /// <summary>The pack's CLIP tokenizer (pad id from its special tokens).</summary>
    public ClipTokenizer Tokenizer { get; private set; } = null!;

    /// <summary>The noise schedule settings from <c>scheduler/scheduler_config.json</c>.</summary>
    public SchedulerConfig SchedulerConfig { get; private set; } = null!;

    /// <summary>The <c>tokenizer/</c> folder.</summary>
    public string TokenizerDirectory => Path.Combine(Directory, "tokenizer");

    /// <summary>The scheduler config file.</summary>
    public string SchedulerConfigPath => Path.Combine(Directory, "scheduler", "scheduler_config.json");

    /// <summary><c>_class_name</c> from model_index.json, when present.</summary>
    public string? PipelineClass { get; private set; }

    /// <summary>Every ONNX model of the pack, in load order.</summary>
    public IReadOnlyList<OnnxModel> Models =>
        new OnnxModel?[] { TextEncoder, Unet, VaeEncoder, VaeDecoder, TaesdEncoder, TaesdDecoder }.OfType<OnnxModel>().ToArray();

    /// <summary>Loads and validates a pack; every malformed part fails here with a named message.</summary>
    public static ModelPack Load(string directory, ModelPackOptions? options = null, ILogger? logger = null)
    {
        options ??= new ModelPackOptions();
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new ModelPackException($"{directory}: model pack folder not found");
        }

        var provider = ExecutionProviderFactory.Resolve(options, logger);
        var pack = new ModelPack(directory) { Provider = provider };
        try
        {
            pack.LoadParts(options, provider);
        }
        catch
        {
            pack.Dispose();
            throw;
        }

        logger?.LogInformation(
            "Loaded model pack {Directory}: family {Family}, hidden {Hidden}, {Size}px, codec {Codec}, provider {Provider}",
            directory,
            pack.Family,
            pack.HiddenSize,
            pack.ImageSize,
            pack.Codec.Name,
            provider);
        return pack;
    }

    public void Dispose()
    {
        foreach (var model in Models)
        {
            model.Dispose();
        }
    }

    private static string ModelFile(string directory, string part) => Path.Combine(directory, part, "model.onnx");

    private void LoadParts(ModelPackOptions options, ExecutionProvider provider)
    {
        ReadModelIndex();
        TextEncoder = TextEncoderModel.Load(ModelFile(Directory, "text_encoder"), provider, options);
        Unet = UnetModel.Load(ModelFile(Directory, "unet"), provider, options, TextEncoder.HiddenSize);
        if (Unet.HiddenSize != TextEncoder.HiddenSize)
        {
            throw new ModelPackException(
                $"{Unet.FilePath}: 'encoder_hidden_states' is {Unet.HiddenSize} wide but {TextEncoder.FilePath} produces {TextEncoder.HiddenSize}; the two must come from the same model");
        }

        HiddenSize = TextEncoder.HiddenSize;
        Family = HiddenSize switch
        {
            768 => ModelFamily.Sd15,
            1024 => ModelFamily.Sd2,
            _ => throw new ModelPackException($"{TextEncoder.FilePath}: hidden size {HiddenSize} matches no supported family (expected 768 for SD1.x or 1024 for SD2.x/sd-turbo)"),
        };

        VaeEncoder = VaeEncoderModel.Load(ModelFile(Directory, "vae_encoder"), provider, options);
        VaeDecoder = VaeDecoderModel.Load(ModelFile(Directory, "vae_decoder"), provider, options);
        ScalingFactor = ReadScalingFactor();
        VaeCodec = new VaeCodec(VaeEncoder, VaeDecoder, ScalingFactor);
        Codec = VaeCodec;

        var taesdEncoderFile = ModelFile(Directory, "taesd_encoder");
        var taesdDecoderFile = ModelFile(Directory, "taesd_decoder");
        if (options.PreferTinyAutoencoder && (File.Exists(taesdEncoderFile) || File.Exists(taesdDecoderFile)))
        {
            TaesdEncoder = TaesdModel.Load(taesdEncoderFile, provider, options, isEncoder: true);
            TaesdDecoder = TaesdModel.Load(taesdDecoderFile, provider, options, isEncoder: false);
            var (zeroToOne, reason) = TaesdRangeDetector.Detect(Directory, options.TaesdImageRange);
            Codec = new TaesdCodec(TaesdEncoder, TaesdDecoder, zeroToOne) { RangeReason = reason };
        }

        // Optimum exports leave the spatial axes symbolic; their unet/config.json names the native latent size.
        ImageSize = Unet.LatentHeight is { } h ? h * 8 : ReadUnetSampleSize() is { } latent ? latent * 8 : 512;
        if (!File.Exists(SchedulerConfigPath))
        {
            throw new ModelPackException($"{SchedulerConfigPath}: file not found (expected the scheduler config with beta_start, beta_end, beta_schedule, num_train_timesteps)");
        }

        try
        {
            SchedulerConfig = SchedulerConfig.Load(SchedulerConfigPath);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            throw new ModelPackException($"{SchedulerConfigPath}: {ex.Message}", ex);
        }

        foreach (var required in new[] { "vocab.json", "merges.txt" })
        {
            var path = Path.Combine(TokenizerDirectory, required);
            if (!File.Exists(path))
            {
                throw new ModelPackException($"{path}: file not found (expected the CLIP tokenizer's {required})");
            }
        }

        try
        {
            Tokenizer = ClipTokenizer.FromDirectory(TokenizerDirectory);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new ModelPackException($"{TokenizerDirectory}: {ex.Message}", ex);
        }
    }

    private void ReadModelIndex()
    {
        var path = Path.Combine(Directory, "model_index.json");
        if (!File.Exists(path))
        {
            return;
        }

        using var document = ParseJson(path);
        if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("_class_name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            PipelineClass = name.GetString();
        }
    }

    private int? ReadUnetSampleSize()
    {
        var path = Path.Combine(Directory, "unet", "config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = ParseJson(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("sample_size", out var size))
        {
            return null;
        }

        // An int, or [height, width] in newer configs (square sizes only here: the larger side).
        var value = size.ValueKind switch
        {
            JsonValueKind.Number when size.TryGetInt32(out var n) => n,
            JsonValueKind.Array when size.GetArrayLength() > 0 => size.EnumerateArray().Max(e => e.TryGetInt32(out var n) ? n : 0),
            _ => 0,
        };
        return value is > 0 and <= 512 ? value : throw new ModelPackException($"{path}: 'sample_size' must be a positive latent size such as 64, found {size}");
    }

    private float ReadScalingFactor()
    {
        foreach (var part in new[] { "vae_decoder", "vae_encoder", "vae" })
        {
            var path = Path.Combine(Directory, part, "config.json");
            if (!File.Exists(path))
            {
                continue;
            }

            using var document = ParseJson(path);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("scaling_factor", out var factor))
            {
                if (factor.ValueKind != JsonValueKind.Number || factor.GetSingle() <= 0)
                {
                    throw new ModelPackException($"{path}: 'scaling_factor' must be a positive number, found {factor}");
                }

                return factor.GetSingle();
            }
        }

        return DefaultScalingFactor;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new ModelPackException($"{path}: not valid JSON ({ex.Message})", ex);
        }
    }
}
