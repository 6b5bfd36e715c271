using System.Globalization;
using Google.Protobuf.Collections;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Turns client parameters (SessionConfig, ControlUpdate) into <see cref="SessionSettings"/>, or rejects them
/// with INVALID_ARGUMENT naming the field — at the edge, before any work is done.
/// </summary>
public static class SessionSettingsValidator
{
    /// <summary>Steps of the schedule t_index values index into.</summary>
    public const int NumInferenceSteps = 50;

    /// <summary>Most denoising steps a stream may use.</summary>
    public const int MaxTIndexCount = 8;

    /// <summary>Session sizes must be multiples of this (the VAE downsamples by 8).</summary>
    public const int SizeMultiple = 8;

    /// <summary>Default guidance scale.</summary>
    public const float DefaultGuidanceScale = 1.2f;

    /// <summary>Default residual CFG delta.</summary>
    public const float DefaultDelta = 1.0f;

    /// <summary>Default seed.</summary>
    public const long DefaultSeed = 2;

    /// <summary>Largest SessionConfig.max_fps (and Capacity:MaxFramesPerSecondPerStream).</summary>
    public const double MaxFps = 1000;

    /// <summary>Default JPEG quality.</summary>
    public const int DefaultQuality = 90;

    /// <summary>Longest accepted prompt in characters (the tokenizer keeps 77 tokens anyway).</summary>
    public const int MaxPromptChars = 4096;

    /// <summary>Most prompts in a blend.</summary>
    public const int MaxPrompts = 16;

    /// <summary>Default t_index list: two steps, timesteps 359 and 99.</summary>
    public static IReadOnlyList<int> DefaultTIndexList { get; } = [32, 45];

    /// <summary>Validates a session config against the resolved model and the host limits.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT with "config.field: reason".</exception>
    public static SessionSettings FromConfig(SessionConfig config, ModelDescriptor model, LimitsOptions limits) =>
        FromConfig(config, model, limits, "config.");

    /// <summary>
    /// Validates a session config; error messages name fields with <paramref name="fieldPrefix"/> ("config." for
    /// a Stream's SessionConfig, "" for a GenerateRequest, whose fields sit at the top level).
    /// </summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT with "prefix.field: reason".</exception>
    public static SessionSettings FromConfig(SessionConfig config, ModelDescriptor model, LimitsOptions limits, string fieldPrefix)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(fieldPrefix);
        var p = fieldPrefix;
        if (config.Prompt.Length > 0 && config.Prompts.Count > 0)
        {
            throw Invalid(p + "prompts", "give either prompt or weighted prompts, not both");
        }

        var width = Size(p + "width", config.Width, model.ImageSize, limits.MaxWidth);
        var height = Size(p + "height", config.Height, model.ImageSize, limits.MaxHeight);
        if ((config.Width == 0) != (config.Height == 0))
        {
            // One side alone has no sensible meaning: the other would silently become the model's size.
            throw Invalid(p + (config.Width == 0 ? "width" : "height"), "set width and height together (both 0 means the model's native size)");
        }

        var mode = config.Mode switch
        {
            GenerationMode.Unspecified or GenerationMode.Img2Img => GenerationMode.Img2Img,
            GenerationMode.Txt2Img => GenerationMode.Txt2Img,
            _ => throw Invalid(p + "mode", $"unknown value {(int)config.Mode}"),
        };
        var cfg = config.CfgType switch
        {
            CfgType.Unspecified => CfgType.Self,
            CfgType.None or CfgType.Full or CfgType.Self or CfgType.Initialize => config.CfgType,
            _ => throw Invalid(p + "cfg_type", $"unknown value {(int)config.CfgType}"),
        };
        var encoding = config.OutputEncoding switch
        {
            OutputEncoding.Unspecified => OutputEncoding.Jpeg,
            OutputEncoding.Jpeg or OutputEncoding.Png or OutputEncoding.Raw => config.OutputEncoding,
            _ => throw Invalid(p + "output_encoding", $"unknown value {(int)config.OutputEncoding}"),
        };

        return new SessionSettings
        {
            Model = model.Name,
            Mode = mode,
            Width = width,
            Height = height,
            Prompt = PromptText(p + "prompt", config.Prompt),
            Prompts = Prompts(p + "prompts", config.Prompts),
            NegativePrompt = PromptText(p + "negative_prompt", config.NegativePrompt),
            TIndexList = config.TIndexList.Count == 0 ? DefaultTIndexList : TIndexList(p + "t_index_list", config.TIndexList),
            CfgType = cfg,
            GuidanceScale = config.HasGuidanceScale ? Guidance(p + "guidance_scale", config.GuidanceScale) : DefaultGuidanceScale,
            Delta = config.HasDelta ? DeltaValue(p + "delta", config.Delta) : DefaultDelta,
            Seed = config.HasSeed ? config.Seed : DefaultSeed,
            Filter = Filter(p + "similarity_filter", config.SimilarityFilter),
            OutputEncoding = encoding,
            Quality = config.Quality == 0 ? DefaultQuality : Quality(p + "quality", config.Quality),
            MaxFps = Range(p + "max_fps", config.MaxFps, 0, (float)MaxFps),
        };
    }

    /// <summary>Applies the fields a control message sets; the result is a new settings instance.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT with "control.field: reason".</exception>
    public static SessionSettings ApplyControl(SessionSettings current, ControlUpdate control)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(control);
        const string p = "control.";
        var next = current;
        if (control.HasPrompt && control.Prompts is not null)
        {
            throw Invalid(p + "prompts", "give either prompt or weighted prompts, not both");
        }

        // A single prompt replaces a blend, and a blend replaces a single prompt.
        if (control.HasPrompt)
        {
            next = next with { Prompt = PromptText(p + "prompt", control.Prompt), Prompts = [] };
        }

        if (control.Prompts is not null)
        {
            next = next with { Prompts = Prompts(p + "prompts", control.Prompts.Items), Prompt = string.Empty };
        }

        if (control.HasNegativePrompt)
        {
            next = next with { NegativePrompt = PromptText(p + "negative_prompt", control.NegativePrompt) };
        }

        if (control.TIndexList is not null)
        {
            next = next with { TIndexList = TIndexList(p + "t_index_list", control.TIndexList.Values) };
        }

        if (control.HasGuidanceScale)
        {
            next = next with { GuidanceScale = Guidance(p + "guidance_scale", control.GuidanceScale) };
        }

        if (control.HasDelta)
        {
            next = next with { Delta = DeltaValue(p + "delta", control.Delta) };
        }

        if (control.HasSeed)
        {
            next = next with { Seed = control.Seed };
        }

        if (control.SimilarityFilter is not null)
        {
            next = next with { Filter = Filter(p + "similarity_filter", control.SimilarityFilter) };
        }

        return next;
    }

    /// <summary>Builds the equivalent session config of a Generate request, so both share one validation.</summary>
    public static SessionConfig ToSessionConfig(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var config = new SessionConfig
        {
            Model = request.Model,
            Mode = request.Image is null ? GenerationMode.Txt2Img : GenerationMode.Img2Img,
            Width = request.Width,
            Height = request.Height,
            Prompt = request.Prompt,
            NegativePrompt = request.NegativePrompt,
            CfgType = request.CfgType,
            OutputEncoding = request.OutputEncoding,
            Quality = request.Quality,
        };
        config.Prompts.Add(request.Prompts);
        config.TIndexList.Add(request.TIndexList);
        if (request.HasGuidanceScale)
        {
            config.GuidanceScale = request.GuidanceScale;
        }

        if (request.HasDelta)
        {
            config.Delta = request.Delta;
        }

        if (request.HasSeed)
        {
            config.Seed = request.Seed;
        }

        return config;
    }

    /// <summary>An INVALID_ARGUMENT status exception whose message starts with the field name.</summary>
    public static RpcException Invalid(string field, string reason) =>
        new(new Status(StatusCode.InvalidArgument, $"{field}: {reason}"));

    private static int Size(string field, int value, int native, int max)
    {
        var size = value == 0 ? native : value;
        if (size <= 0 || size % SizeMultiple != 0 || size > max)
        {
            throw Invalid(field, string.Create(CultureInfo.InvariantCulture,
                $"{value} is not allowed; use 0 (model size {native}) or a multiple of {SizeMultiple} from {SizeMultiple} to {max}"));
        }

        return size;
    }

    private static string PromptText(string field, string text)
    {
        if (text.Length > MaxPromptChars)
        {
            throw Invalid(field, $"{text.Length} characters, at most {MaxPromptChars}");
        }

        var bad = IllFormedAt(text);
        if (bad >= 0)
        {
            throw Invalid(field, string.Create(CultureInfo.InvariantCulture,
                $"not well-formed Unicode: lone UTF-16 surrogate U+{(int)text[bad]:X4} at index {bad}"));
        }

        return text;
    }

    /// <summary>Index of the first unpaired surrogate in <paramref name="text"/>, or -1 when it is well-formed.</summary>
    public static int IllFormedAt(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!char.IsSurrogate(c))
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }

        return -1;
    }

    private static PromptWeight[] Prompts(string field, RepeatedField<WeightedPrompt> prompts)
    {
        if (prompts.Count > MaxPrompts)
        {
            throw Invalid(field, $"{prompts.Count} prompts, at most {MaxPrompts}");
        }

        var result = new PromptWeight[prompts.Count];
        var sum = 0.0;
        for (var i = 0; i < prompts.Count; i++)
        {
            var w = prompts[i].Weight;
            if (!float.IsFinite(w) || w < 0)
            {
                throw Invalid(string.Create(CultureInfo.InvariantCulture, $"{field}[{i}].weight"), "must be finite and >= 0");
            }

            result[i] = new PromptWeight(PromptText(string.Create(CultureInfo.InvariantCulture, $"{field}[{i}].text"), prompts[i].Text), w);
            sum += w;
        }

        if (result.Length > 0 && sum <= 0)
        {
            throw Invalid(field, "the weights must not all be 0");
        }

        return result;
    }

    private static int[] TIndexList(string field, RepeatedField<int> values)
    {
        if (values.Count is 0 or > MaxTIndexCount)
        {
            throw Invalid(field, $"{values.Count} entries, need 1 to {MaxTIndexCount}");
        }

        var result = new int[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (v is < 0 or >= NumInferenceSteps)
            {
                throw Invalid(field, string.Create(CultureInfo.InvariantCulture,
                    $"value {v} at position {i} is outside 0..{NumInferenceSteps - 1}"));
            }

            if (i > 0 && v <= result[i - 1])
            {
                throw Invalid(field, string.Create(CultureInfo.InvariantCulture,
                    $"must be strictly increasing (timesteps strictly decreasing); {result[i - 1]} is followed by {v}"));
            }

            result[i] = v;
        }

        return result;
    }

    private static float Guidance(string field, float value) => Range(field, value, 0f, 20f);

    private static float DeltaValue(string field, float value) => Range(field, value, 0f, 1f);

    private static float Range(string field, float value, float min, float max)
    {
        if (!float.IsFinite(value) || value < min || value > max)
        {
            throw Invalid(field, string.Create(CultureInfo.InvariantCulture, $"{value} is outside {min}..{max}"));
        }

        return value;
    }

    private static int Quality(string field, int value)
    {
        if (value is < 1 or > 100)
        {
            throw Invalid(field, string.Create(CultureInfo.InvariantCulture, $"{value} is outside 1..100 (0 for the default {DefaultQuality})"));
        }

        return value;
    }

    private static SimilarityFilterSettings Filter(string field, SimilarityFilter? filter)
    {
        if (filter is null)
        {
            return SimilarityFilterSettings.Disabled;
        }

        var threshold = filter.HasThreshold ? Range(field + ".threshold", filter.Threshold, 0f, 1f) : SimilarityFilterSettings.Disabled.Threshold;
        var maxSkip = filter.HasMaxSkipFrames ? filter.MaxSkipFrames : SimilarityFilterSettings.Disabled.MaxSkipFrames;
        if (maxSkip is < 0 or > 1000)
        {
            throw Invalid(field + ".max_skip_frames", string.Create(CultureInfo.InvariantCulture, $"{maxSkip} is outside 0..1000"));
        }

        return new SimilarityFilterSettings(filter.Enabled, threshold, maxSkip);
    }
}
