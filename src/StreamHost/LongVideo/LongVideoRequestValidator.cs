using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.LongVideo;

/// <summary>
/// Checks a <see cref="GenerateVideoRequest"/> at the edge and turns it into generator options and the session
/// description /sessions shows. Every refusal is INVALID_ARGUMENT with a message that starts with the field.
/// </summary>
public static class LongVideoRequestValidator
{
    /// <summary>Partitions when the request leaves num_partitions at 0.</summary>
    public const int DefaultPartitions = LongVideoOptions.DefaultPartitions;

    /// <summary>The denoiser window f every long-video session uses.</summary>
    public const int Window = LongVideoOptions.DefaultWindow;

    /// <summary>Most partitions: L = f·n must stay within 1000 distinct noise levels.</summary>
    public const int MaxPartitions = FifoSchedule.MaxLevels / Window;

    /// <summary>Validates <paramref name="request"/> for <paramref name="model"/>.</summary>
    public static (LongVideoOptions Options, SessionSettings Settings) Validate(GenerateVideoRequest request, ModelDescriptor model, LimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(limits);
        if (request.Prompts.Count == 0)
        {
            throw SessionSettingsValidator.Invalid("prompts", "at least one PromptKeyframe is required, the first at start_frame 0");
        }

        var keyframes = new VideoPromptKeyframe[request.Prompts.Count];
        for (int i = 0; i < keyframes.Length; i++)
        {
            var keyframe = request.Prompts[i];
            if (i == 0 && keyframe.StartFrame != 0)
            {
                throw SessionSettingsValidator.Invalid("prompts[0].start_frame", $"the first keyframe must start at frame 0, not {keyframe.StartFrame}");
            }

            if (i > 0 && keyframe.StartFrame <= request.Prompts[i - 1].StartFrame)
            {
                throw SessionSettingsValidator.Invalid($"prompts[{i}].start_frame", $"keyframes must be in strictly increasing frame order ({keyframe.StartFrame} after {request.Prompts[i - 1].StartFrame})");
            }

            if (string.IsNullOrWhiteSpace(keyframe.Text))
            {
                throw SessionSettingsValidator.Invalid($"prompts[{i}].text", "empty prompt");
            }

            if (keyframe.StartFrame > long.MaxValue)
            {
                throw SessionSettingsValidator.Invalid($"prompts[{i}].start_frame", "too large");
            }

            keyframes[i] = new VideoPromptKeyframe((long)keyframe.StartFrame, keyframe.Text);
        }

        // Unset means the default; a queue of zero partitions is no queue, so an explicit 0 is refused.
        var partitions = request.HasNumPartitions ? request.NumPartitions : DefaultPartitions;
        if (partitions < 1 || partitions > MaxPartitions)
        {
            throw SessionSettingsValidator.Invalid("num_partitions", $"{request.NumPartitions} is not allowed; use 1 to {MaxPartitions} (window {Window} x partitions ≤ {FifoSchedule.MaxLevels} noise levels), or leave it unset for the default {DefaultPartitions}");
        }

        if ((request.Width == 0) != (request.Height == 0))
        {
            throw SessionSettingsValidator.Invalid(request.Width == 0 ? "width" : "height", "set width and height together (both 0 means the model's native size)");
        }

        var width = Size("width", request.Width, model.ImageSize, limits.MaxWidth);
        var height = Size("height", request.Height, model.ImageSize, limits.MaxHeight);
        var encoding = request.OutputEncoding switch
        {
            OutputEncoding.Unspecified => OutputEncoding.Jpeg,
            OutputEncoding.Jpeg or OutputEncoding.Png or OutputEncoding.Raw => request.OutputEncoding,
            _ => throw SessionSettingsValidator.Invalid("output_encoding", $"unknown value {(int)request.OutputEncoding}"),
        };
        if (request.Quality is < 0 or > 100)
        {
            throw SessionSettingsValidator.Invalid("quality", $"{request.Quality} is not in 1..100 (0: default {SessionSettingsValidator.DefaultQuality})");
        }

        var sampler = request.Sampler switch
        {
            VideoSampler.Unspecified or VideoSampler.Ddim => FifoSampler.Ddim,
            VideoSampler.Lcm => FifoSampler.Lcm,
            _ => throw SessionSettingsValidator.Invalid("sampler", $"unknown value {(int)request.Sampler}; use VIDEO_SAMPLER_DDIM or VIDEO_SAMPLER_LCM"),
        };
        var step = SubjectMemory.DefaultStep;
        if (request.HasSubjectGuidanceStep)
        {
            if (!request.SubjectGuidance)
            {
                throw SessionSettingsValidator.Invalid("subject_guidance_step", "set only together with subject_guidance = true");
            }

            if (!(request.SubjectGuidanceStep > 0 && request.SubjectGuidanceStep <= 1))
            {
                throw SessionSettingsValidator.Invalid("subject_guidance_step", $"{request.SubjectGuidanceStep} is not in (0, 1] (absent: {SubjectMemory.DefaultStep})");
            }

            step = request.SubjectGuidanceStep;
        }

        var seed = request.HasSeed ? request.Seed : SessionSettingsValidator.DefaultSeed;
        var options = new LongVideoOptions
        {
            Prompts = keyframes,
            Width = width,
            Height = height,
            Window = Window,
            Partitions = partitions,
            Lookahead = request.Lookahead,
            CoherentTail = request.CoherentTail,
            Sampler = sampler,
            SubjectGuidance = request.SubjectGuidance,
            GuidanceStep = step,
            Seed = seed,
        };
        var settings = new SessionSettings
        {
            Model = model.Name,
            Mode = GenerationMode.TextToVideo,
            Width = width,
            Height = height,
            Prompt = keyframes[0].Text,
            NegativePrompt = request.NegativePrompt,
            Seed = seed,
            OutputEncoding = encoding,
            Quality = request.Quality == 0 ? SessionSettingsValidator.DefaultQuality : request.Quality,
        };
        return (options, settings);
    }

    private static int Size(string field, int value, int native, int max)
    {
        var size = value == 0 ? native : value;
        if (size < SessionSettingsValidator.SizeMultiple || size % SessionSettingsValidator.SizeMultiple != 0 || size > max)
        {
            throw SessionSettingsValidator.Invalid(field, $"{value} is not allowed; use 0 (model size {native}) or a multiple of {SessionSettingsValidator.SizeMultiple} from {SessionSettingsValidator.SizeMultiple} to {max}");
        }

        return size;
    }
}
