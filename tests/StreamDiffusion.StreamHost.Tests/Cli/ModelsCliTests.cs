using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.StreamHost.Tests.Cli;

/// <summary>The host executable's model verbs, run as a user would run them.</summary>
public sealed class ModelsCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"sdnet-cli-{Guid.NewGuid():N}");

    [Fact]
    public async Task Synth_then_inspect_prints_every_onnx_file_io_table_and_the_conclusions()
    {
        var pack = Path.Combine(_root, "pack");
        var synth = await HostProcess.RunAsync("models", "synth", "--out", pack, "--family", "sd15", "--size", "256", "--taesd");
        Assert.True(synth.ExitCode == 0, synth.Output + synth.Error);
        Assert.True(File.Exists(Path.Combine(pack, "unet", "model.onnx")));

        var inspect = await HostProcess.RunAsync("models", "inspect", pack);
        Assert.True(inspect.ExitCode == 0, inspect.Output + inspect.Error);
        var text = inspect.Output;
        foreach (var file in new[] { "text_encoder/model.onnx", "unet/model.onnx", "vae_encoder/model.onnx", "vae_decoder/model.onnx", "taesd_encoder/model.onnx", "taesd_decoder/model.onnx" })
        {
            Assert.Contains(file, text, StringComparison.Ordinal);
        }

        foreach (var io in new[] { "input_ids", "last_hidden_state", "pooler_output", "sample", "timestep", "encoder_hidden_states", "out_sample", "latent_parameters", "latent_sample" })
        {
            Assert.Contains(io, text, StringComparison.Ordinal);
        }

        Assert.Contains("[batch_size,4,height,width]", text, StringComparison.Ordinal);
        Assert.Contains("[batch_size,77,768]", text, StringComparison.Ordinal);
        Assert.Contains("int64", text, StringComparison.Ordinal);
        Assert.Contains("Sd15", text, StringComparison.Ordinal);
        Assert.Contains("768", text, StringComparison.Ordinal);
        Assert.Contains("0.18215", text, StringComparison.Ordinal);
        Assert.Contains("mean‖logvar", text, StringComparison.Ordinal);
        Assert.Contains("taesd", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_prints_the_range_detected_for_an_AutoencoderTiny_config()
    {
        // A diffusers AutoencoderTiny config says nothing about the range: such a pack takes [-1,1].
        var pack = Path.Combine(_root, "tiny");
        SyntheticPackWriter.Write(pack, new SyntheticPackOptions { ImageSize = 256, Taesd = true });
        foreach (var part in new[] { "taesd_encoder", "taesd_decoder" })
        {
            var config = Path.Combine(pack, part, "config.json");
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
            json.Remove("image_range");
            File.WriteAllText(config, json.ToJsonString());
        }

        var inspect = await HostProcess.RunAsync("models", "inspect", pack);

        Assert.True(inspect.ExitCode == 0, inspect.Output + inspect.Error);
        var words = string.Join(' ', inspect.Output.Split((char[])[' ', '\n', '│'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("images in [-1,1]: config class AutoencoderTiny", words, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_broken_pack_shows_the_tables_and_the_loader_message()
    {
        var pack = Path.Combine(_root, "broken");
        SyntheticPackWriter.Write(pack, new SyntheticPackOptions { ImageSize = 256 });
        File.Copy(Path.Combine(pack, "text_encoder", "model.onnx"), Path.Combine(pack, "unet", "model.onnx"), overwrite: true);
        var inspect = await HostProcess.RunAsync("models", "inspect", pack);
        Assert.Equal(1, inspect.ExitCode);
        Assert.Contains("unet/model.onnx", inspect.Output, StringComparison.Ordinal);
        Assert.Contains("missing input 'sample'", string.Join(' ', inspect.Output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_prints_the_clip_ids_of_the_real_vocabulary()
    {
        var clip = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "clip"));
        var result = await HostProcess.RunAsync("tokenize", "--tokenizer", clip, "--json", "a photo of a cat");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("{\"ids\":[49406,320,1125,539,320,2368,49407],\"truncated\":false}", result.Output.Trim());
    }

    [Fact]
    public async Task Render_writes_an_image_and_prints_a_summary()
    {
        var pack = Path.Combine(_root, "render-pack");
        SyntheticPackWriter.Write(pack, new SyntheticPackOptions { ImageSize = 256, Taesd = true });
        var output = Path.Combine(_root, "out.png");
        var image = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "images", "astronaut.png"));
        var result = await HostProcess.RunAsync("render", "--model", pack, "--input", image, "--output", output, "--prompt", "a red fire", "--size", "256", "--t-index", "32,45", "--cfg", "self", "--guidance", "1.4", "--delta", "0.5");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.True(new FileInfo(output).Length > 1000);
        Assert.Contains("rendered 1 frames (1 in, 0 skipped)", result.Output, StringComparison.Ordinal);

        var bad = await HostProcess.RunAsync("render", "--model", pack, "--input", image, "--output", output, "--t-index", "45,32");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("t_index_list", bad.Output + bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_with_a_prompt_and_frames_writes_a_long_text_to_video()
    {
        var pack = Path.Combine(_root, "video-pack");
        SyntheticPackWriter.Write(pack, new SyntheticPackOptions { ImageSize = 64, Taesd = true, Video = true });
        var output = Path.Combine(_root, "long.avi");
        var result = await HostProcess.RunAsync("render", "--model", pack, "--prompt", "a red fox", "--frames", "40", "--size", "64", "--output", output);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("rendered 40 frames", result.Output, StringComparison.Ordinal);
        Assert.Equal(40, new VideoFrameSource(output).ReadFrames().Count());

        var bad = await HostProcess.RunAsync("render", "--model", pack, "--output", output);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--frames", bad.Output + bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_text_to_video_takes_the_sampler_partitions_and_subject_guidance_and_names_a_bad_one()
    {
        var pack = Path.Combine(_root, "video-pack-flags");
        SyntheticPackWriter.Write(pack, new SyntheticPackOptions { ImageSize = 64, Taesd = true, Video = true });
        var output = Path.Combine(_root, "guided.avi");
        var result = await HostProcess.RunAsync(
            "render", "--model", pack, "--prompt", "a red fox", "--frames", "12", "--size", "64", "--output", output,
            "--sampler", "lcm", "--partitions", "2", "--subject-guidance", "--subject-guidance-step", "0.5");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal(12, new VideoFrameSource(output).ReadFrames().Count());

        var sampler = await HostProcess.RunAsync("render", "--model", pack, "--prompt", "a red fox", "--frames", "4", "--size", "64", "--output", output, "--sampler", "euler");
        Assert.Equal(2, sampler.ExitCode);
        Assert.Contains("--sampler: 'euler' is not a sampler", sampler.Output + sampler.Error, StringComparison.Ordinal);

        var partitions = await HostProcess.RunAsync("render", "--model", pack, "--prompt", "a red fox", "--frames", "4", "--size", "64", "--output", output, "--partitions", "0");
        Assert.Equal(2, partitions.ExitCode);
        Assert.Contains("num_partitions: 0", partitions.Output + partitions.Error, StringComparison.Ordinal);

        var step = await HostProcess.RunAsync("render", "--model", pack, "--prompt", "a red fox", "--frames", "4", "--size", "64", "--output", output, "--subject-guidance", "--subject-guidance-step", "1.5");
        Assert.Equal(2, step.ExitCode);
        Assert.Contains("subject_guidance_step: 1.5", step.Output + step.Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was written.
        }
    }

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                dir = dir.Parent;
            }

            return dir!.FullName;
        }
    }
}
