using System.Globalization;
using System.Text.Json;

namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>
/// The training noise schedule of a model pack, as stored in <c>scheduler/scheduler_config.json</c>.
/// Only the fields that define the schedule are read; the scheduler class named in the file is ignored
/// because the stream pipeline always samples with LCM (and DDIM for long video) over the same ᾱ table.
/// </summary>
/// <param name="BetaStart">β at timestep 0 (<c>beta_start</c>).</param>
/// <param name="BetaEnd">β at the last training timestep (<c>beta_end</c>).</param>
/// <param name="BetaSchedule">Spacing of β (<c>beta_schedule</c>).</param>
/// <param name="NumTrainTimesteps">Training timesteps (<c>num_train_timesteps</c>), 1000 for SD.</param>
/// <param name="PredictionType">Meaning of the UNet output (<c>prediction_type</c>).</param>
public sealed record SchedulerConfig(
    double BetaStart,
    double BetaEnd,
    BetaSchedule BetaSchedule,
    int NumTrainTimesteps,
    PredictionType PredictionType)
{
    /// <summary>Stable Diffusion 1.x/2.x defaults: scaled_linear 0.00085 → 0.012 over 1000 steps, ε-prediction.</summary>
    public static SchedulerConfig StableDiffusion { get; } =
        new(0.00085, 0.012, BetaSchedule.ScaledLinear, 1000, PredictionType.Epsilon);

    /// <summary>
    /// LCM's original inference step count (<c>original_inference_steps</c>, default 50): the grid the
    /// t_index list points into.
    /// </summary>
    public int OriginalInferenceSteps { get; init; } = 50;

    /// <summary>LCM boundary-condition timestep scaling (<c>timestep_scaling</c>, default 10).</summary>
    public double TimestepScaling { get; init; } = 10.0;

    /// <summary>Reads and validates a <c>scheduler_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON or a field is missing or out of range; the message names the file and field.</exception>
    public static SchedulerConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Scheduler config not found: '{path}'.", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses scheduler config JSON; <paramref name="sourceName"/> names the source in error messages.</summary>
    /// <exception cref="InvalidDataException">Invalid JSON or a field is missing or out of range.</exception>
    public static SchedulerConfig Parse(string json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Scheduler config '{sourceName}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Scheduler config '{sourceName}' must be a JSON object.");
            }

            // Missing fields fall back to the diffusers defaults of the schedulers SD packs ship with.
            double betaStart = ReadDouble(root, "beta_start", 0.0001, sourceName);
            double betaEnd = ReadDouble(root, "beta_end", 0.02, sourceName);
            int trainSteps = ReadInt(root, "num_train_timesteps", 1000, sourceName);
            string schedule = ReadString(root, "beta_schedule", "linear", sourceName);
            string prediction = ReadString(root, "prediction_type", "epsilon", sourceName);
            int originalSteps = ReadInt(root, "original_inference_steps", 50, sourceName);
            double timestepScaling = ReadDouble(root, "timestep_scaling", 10.0, sourceName);

            BetaSchedule betaSchedule = schedule switch
            {
                "scaled_linear" => BetaSchedule.ScaledLinear,
                "linear" => BetaSchedule.Linear,
                _ => throw new InvalidDataException(
                    $"Scheduler config '{sourceName}': beta_schedule '{schedule}' is not supported (expected 'scaled_linear' or 'linear')."),
            };
            PredictionType predictionType = prediction switch
            {
                "epsilon" => PredictionType.Epsilon,
                "v_prediction" => PredictionType.VPrediction,
                "sample" => PredictionType.Sample,
                _ => throw new InvalidDataException(
                    $"Scheduler config '{sourceName}': prediction_type '{prediction}' is not supported (expected 'epsilon', 'v_prediction' or 'sample')."),
            };

            if (trainSteps < 2)
            {
                throw new InvalidDataException($"Scheduler config '{sourceName}': num_train_timesteps must be at least 2, got {trainSteps}.");
            }

            if (!(betaStart > 0 && betaEnd > 0 && betaStart < 1 && betaEnd < 1))
            {
                throw new InvalidDataException(
                    $"Scheduler config '{sourceName}': beta_start and beta_end must lie in (0, 1), got {betaStart.ToString(CultureInfo.InvariantCulture)} and {betaEnd.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (originalSteps < 1 || originalSteps > trainSteps)
            {
                throw new InvalidDataException(
                    $"Scheduler config '{sourceName}': original_inference_steps must lie in [1, {trainSteps}], got {originalSteps}.");
            }

            if (!(timestepScaling > 0))
            {
                throw new InvalidDataException($"Scheduler config '{sourceName}': timestep_scaling must be positive.");
            }

            return new SchedulerConfig(betaStart, betaEnd, betaSchedule, trainSteps, predictionType)
            {
                OriginalInferenceSteps = originalSteps,
                TimestepScaling = timestepScaling,
            };
        }
    }

    private static double ReadDouble(JsonElement root, string name, double fallback, string source)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double result))
        {
            throw new InvalidDataException($"Scheduler config '{source}': '{name}' must be a number, got {value.ValueKind}.");
        }

        return result;
    }

    private static int ReadInt(JsonElement root, string name, int fallback, string source)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int result))
        {
            throw new InvalidDataException($"Scheduler config '{source}': '{name}' must be an integer, got {value.GetRawText()}.");
        }

        return result;
    }

    private static string ReadString(JsonElement root, string name, string fallback, string source)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"Scheduler config '{source}': '{name}' must be a string, got {value.ValueKind}.");
        }

        return value.GetString()!;
    }
}
