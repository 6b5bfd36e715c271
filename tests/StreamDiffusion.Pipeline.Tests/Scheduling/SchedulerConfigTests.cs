using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Tests.Scheduling;

public sealed class SchedulerConfigTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sd-scheduler-" + Guid.NewGuid().ToString("N"));

    public SchedulerConfigTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, true);

    [Fact]
    public void Load_reads_an_sd_turbo_style_config()
    {
        string path = Write("""
            {
              "_class_name": "EulerDiscreteScheduler",
              "_diffusers_version": "0.24.0",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "clip_sample": false,
              "num_train_timesteps": 1000,
              "prediction_type": "epsilon",
              "set_alpha_to_one": false,
              "steps_offset": 1,
              "timestep_spacing": "trailing",
              "trained_betas": null
            }
            """);
        SchedulerConfig config = SchedulerConfig.Load(path);
        Assert.Equal(SchedulerConfig.StableDiffusion, config);
        Assert.Equal(50, config.OriginalInferenceSteps);
        Assert.Equal(10.0, config.TimestepScaling);
    }

    [Fact]
    public void Load_reads_lcm_fields_and_v_prediction()
    {
        string path = Write("""
            {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "linear", "num_train_timesteps": 1000,
             "prediction_type": "v_prediction", "original_inference_steps": 25, "timestep_scaling": 5.0}
            """);
        SchedulerConfig config = SchedulerConfig.Load(path);
        Assert.Equal(BetaSchedule.Linear, config.BetaSchedule);
        Assert.Equal(PredictionType.VPrediction, config.PredictionType);
        Assert.Equal(25, config.OriginalInferenceSteps);
        Assert.Equal(5.0, config.TimestepScaling);
        Assert.Equal(959, LcmScheduler.FromConfig(config).Timestep(1));
    }

    [Fact]
    public void Load_names_the_missing_file()
    {
        string path = Path.Combine(_directory, "nope", "scheduler_config.json");
        var ex = Assert.Throws<FileNotFoundException>(() => SchedulerConfig.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_names_the_file_and_field_for_an_unknown_schedule()
    {
        string path = Write("""{"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "squaredcos_cap_v2"}""");
        var ex = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("beta_schedule", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_names_the_file_for_bad_json_and_bad_types()
    {
        string broken = Write("{ \"beta_start\": ");
        Assert.Contains(broken, Assert.Throws<InvalidDataException>(() => SchedulerConfig.Load(broken)).Message, StringComparison.Ordinal);
        string wrongType = Write("""{"beta_start": "small"}""");
        var ex = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Load(wrongType));
        Assert.Contains("beta_start", ex.Message, StringComparison.Ordinal);
        string badRange = Write("""{"beta_start": 0.00085, "beta_end": 1.5}""");
        Assert.Throws<InvalidDataException>(() => SchedulerConfig.Load(badRange));
    }

    private string Write(string json)
    {
        string path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }
}
