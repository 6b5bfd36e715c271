using Grpc.Net.Client;
using Spectre.Console;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Cli;
using StreamDiffusion.StreamClient.Sessions;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>A synthetic 64-pixel sd-turbo pack the video tests' hosts serve as the default model.</summary>
public sealed class VideoPackFixture : IDisposable
{
    public VideoPackFixture()
    {
        PackPath = Path.Combine(Path.GetTempPath(), $"streamclient-video-pack-{Guid.NewGuid():N}");
        SyntheticPackWriter.Write(PackPath, new SyntheticPackOptions { ImageSize = 64, Taesd = true });
    }

    public string PackPath { get; }

    public string[] Settings => ["Models:DefaultModel=default", $"Models:Packs:default:Path={PackPath}"];

    public void Dispose()
    {
        try
        {
            Directory.Delete(PackPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary><c>streamclient video</c> and <see cref="VideoGeneration"/> against a loopback host running the real pipeline.</summary>
public sealed class VideoCommandTests(VideoPackFixture pack) : IClassFixture<VideoPackFixture>, IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 400;
        var code = await StreamClientCommand.RunAsync(args, new ClientConsole(console, error, null, LiveProgress: false), CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Video_verb_writes_a_file_OpenCV_reads_with_every_frame()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, pack.Settings);
        var file = _media.Path("fox.mp4");

        var (code, text, error) = await RunAsync(
            "video", "--server", host.GrpcAddress.ToString(), "--prompt", "a red fox running through snow", "--frames", "24",
            "--size", "64", "--partitions", "2", "--coherent-tail", "--output", file);

        Assert.Equal("", error);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("video: 24 frames 64x64", text, StringComparison.Ordinal);
        Assert.Contains("output: " + file, text, StringComparison.Ordinal);
        Assert.Equal((24, 64, 64), TestMedia.ReadVideo(file));
    }

    [Fact]
    public async Task Frames_arrive_in_order_and_a_live_prompt_change_reaches_the_output()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, pack.Settings);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
        var request = new GenerateVideoRequest { Width = 64, Height = 64, NumPartitions = 1 };
        request.Prompts.Add(new PromptKeyframe { StartFrame = 0, Text = "a red fox" });
        var sink = new CollectingSink();
        var generation = new VideoGeneration(channel, request, sink, fps: 10);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // Unbounded: runs until the new prompt has reached the output, then the client stops it.
        var running = generation.RunAsync(stop.Token);
        while (generation.Received < 5 && !running.IsCompleted)
        {
            await Task.Delay(10);
        }

        var (accepted, message) = await generation.ChangePromptAsync("a deep blue ocean");
        Assert.True(accepted, message);
        while (generation.Prompt != "a deep blue ocean" && !running.IsCompleted)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        var summary = await running;

        Assert.Equal("a deep blue ocean", generation.Prompt);
        Assert.Equal(1, summary.PromptChanges);
        Assert.True(summary.Frames > 5);
        Assert.Equal((64, 64, 10.0), sink.OpenedWith);
        Assert.Equal(summary.Frames, sink.Frames.Count);
        Assert.All(sink.Frames, f => Assert.Equal(64 * 64 * 3, f.Rgb.Length));

        // A moving picture, not one frame repeated.
        Assert.NotEqual(sink.Frames[0].Rgb, sink.Frames[^1].Rgb);
    }

    [Fact]
    public async Task A_refused_request_exits_2_naming_the_field()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, pack.Settings);

        var (code, _, error) = await RunAsync(
            "video", "--server", host.GrpcAddress.ToString(), "--prompt", "a fox", "--frames", "4", "--size", "64",
            "--guidance", "--guidance-step", "2", "--output", _media.Path("x.avi"));

        Assert.Equal(ExitCodes.ServerError, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("InvalidArgument (3): subject_guidance_step", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--size", "12")]
    [InlineData("--frames", "-1")]
    [InlineData("--fps", "0")]
    [InlineData("--sampler", "euler")]
    [InlineData("--prompt", " ")]
    public async Task Invalid_video_arguments_exit_1_before_connecting(string option, string value)
    {
        string[] args = ["video", "--server", "http://127.0.0.1:1", "--prompt", "a fox", "--output", _media.Path("y.avi"), option, value];

        var (code, _, error) = await RunAsync(args);

        Assert.Equal(1, code);
        Assert.NotEqual("", error);
    }
}
