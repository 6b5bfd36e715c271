using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.StreamClient.Cli;
using StreamDiffusion.StreamClient.Output;
using StreamDiffusion.StreamClient.Sessions;
using StreamDiffusion.StreamClient.Sources;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>The client's session against the real host on loopback (echo processor: raw frames come back inverted, JPEG byte for byte).</summary>
public sealed class StreamSessionTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    private static StreamClientOptions Options(LoopbackHost host, string input) =>
        new() { Server = host.GrpcAddress, Input = InputSpec.Parse(input), Size = 64, Fps = 0, Prompt = "a" };

    [Fact]
    public async Task Png_folder_as_raw_every_frame_answered_and_written_as_the_inverted_crop()
    {
        var folder = _media.PanFolder(12);
        await using var host = await LoopbackHost.StartAsync();
        var options = Options(host, folder) with { Format = WireFormat.Raw, Output = _media.Path("out") };
        using var source = FrameSourceFactory.Create(options);
        using var sink = new VideoFileSink(options.Output!);

        var summary = await new StreamSession(host.Channel, source, sink, options).RunAsync();
        sink.Dispose();

        Assert.Equal(12, summary.FramesSent);
        Assert.Equal(12, summary.FramesReceived);
        Assert.Equal(0, summary.FramesDropped + summary.FramesFailed + summary.FramesSkipped + summary.FramesUnanswered);
        Assert.Equal(12, summary.Latency.Count);
        Assert.True(summary.Latency.P50Ms <= summary.Latency.P95Ms && summary.Latency.P95Ms <= summary.Latency.MaxMs * 1.001);
        Assert.True(summary.MatchesServer, "client and host counters differ");
        Assert.Equal(12UL, summary.ServerStats!.FramesOut);
        Assert.Equal((64, 64), (summary.Width, summary.Height));

        Assert.Equal(VideoSinkKind.ImageFolder, sink.Kind);
        var written = Directory.GetFiles(sink.OutputPath, "*.png").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(12, written.Length);

        // Frame 7 out = 255 - (frame 7 in, center-cropped to 64x64): the echo processor inverts raw RGB.
        using var encoder = new InputFrameEncoder(64, WireFormat.Raw, 85);
        var input = new FileFrameSource(folder).ReadFrames(CancellationToken.None).ElementAt(7);
        var sent = encoder.Encode(input).Data.ToArray();
        var expected = sent.Select(v => (byte)(255 - v)).ToArray();
        Assert.Equal(expected, TestMedia.ReadRgb(written[7]));
    }

    [Fact]
    public async Task Avi_as_jpeg_writes_an_avi_with_every_frame_at_the_session_size()
    {
        var avi = _media.PanAvi(10);
        await using var host = await LoopbackHost.StartAsync();
        var options = Options(host, avi) with { Output = _media.Path("result.avi") };
        using var source = FrameSourceFactory.Create(options);
        using var sink = new VideoFileSink(options.Output!);

        var summary = await new StreamSession(host.Channel, source, sink, options).RunAsync();
        sink.Dispose();

        Assert.Equal(10, summary.FramesSent);
        Assert.Equal(10, summary.FramesReceived);
        Assert.Equal(10, summary.FramesWritten);
        Assert.True(summary.MatchesServer);
        Assert.Equal(VideoSinkKind.VideoFile, sink.Kind);
        Assert.Equal("MJPG", sink.Codec);
        Assert.Equal((10, 64, 64), TestMedia.ReadVideo(sink.OutputPath));
    }

    [Fact]
    public async Task Single_image_is_sent_frames_times_at_a_paced_rate()
    {
        await using var host = await LoopbackHost.StartAsync();
        var options = Options(host, TestMedia.ImagePath("rocket.jpg")) with { Frames = 5, Fps = 200, Size = 32 };
        using var source = FrameSourceFactory.Create(options);
        var sink = new CollectingSink();
        var session = new StreamSession(host.Channel, source, sink, options);
        Assert.Equal(200, session.SendFps);
        Assert.Equal(StreamSession.PacedMaxInFlight, session.MaxInFlight);

        var summary = await session.RunAsync();

        Assert.Equal(5, summary.FramesSent);
        Assert.Equal(5, summary.FramesReceived + summary.FramesDropped);
        Assert.True(summary.MatchesServer);
        Assert.Equal((32, 32, 200.0), sink.OpenedWith);

        // JPEG comes back byte for byte: every output decodes to the same picture.
        Assert.Equal(summary.FramesReceived, sink.Frames.Count);
        Assert.All(sink.Frames, f => Assert.Equal(sink.Frames[0].Rgb, f.Rgb));
    }

    [Fact]
    public async Task Prompt_change_mid_run_reaches_the_host_as_a_control_message_from_the_next_frame()
    {
        var folder = _media.PanFolder(16, 64, 64);
        var recorder = new RecordingProcessorFactory();
        await using var host = await LoopbackHost.StartAsync(s => s.AddSingleton<IStreamProcessorFactory>(recorder));
        var options = Options(host, folder) with { MaxInFlight = 1 };
        using var source = FrameSourceFactory.Create(options);
        var session = new StreamSession(host.Channel, source, null, options);

        // With one frame in flight, frame 6 is sent only after frame 5's answer was handled here.
        session.FrameReceived += (_, frame) =>
        {
            if (frame.Sequence == 5)
            {
                session.ChangePrompt("b");
            }
        };
        var summary = await session.RunAsync();

        Assert.Equal(1, summary.ControlsSent);
        Assert.Equal(16, summary.FramesReceived);
        var prompts = Enumerable.Range(0, 16).Select(i => recorder.PromptBySequence[(ulong)i]).ToArray();
        Assert.Equal([.. Enumerable.Repeat("a", 6), .. Enumerable.Repeat("b", 10)], prompts);
    }

    [Fact]
    public async Task Failed_frames_are_counted_and_not_written()
    {
        var folder = _media.PanFolder(10, 64, 64);
        var recorder = new RecordingProcessorFactory { FailEvery = 3 };
        await using var host = await LoopbackHost.StartAsync(s => s.AddSingleton<IStreamProcessorFactory>(recorder));
        var options = Options(host, folder) with { MaxInFlight = 1, Format = WireFormat.Raw };
        using var source = FrameSourceFactory.Create(options);
        var sink = new CollectingSink();

        var summary = await new StreamSession(host.Channel, source, sink, options).RunAsync();

        // Sequences 3, 6 and 9 fail.
        Assert.Equal(10, summary.FramesSent);
        Assert.Equal(3, summary.FramesFailed);
        Assert.Equal(7, summary.FramesReceived);
        Assert.Equal(7, summary.FramesWritten);
        Assert.Equal(7, sink.Frames.Count);
        Assert.Equal(7, summary.Latency.Count);
        Assert.True(summary.MatchesServer);
        Assert.NotNull(summary.FirstError);
        Assert.Equal(3, summary.FirstError.Code);
        Assert.Contains("frame 3", summary.FirstError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_load_every_frame_is_answered_received_dropped_or_failed_as_the_host_counts()
    {
        var folder = _media.PanFolder(24, 64, 64);
        var recorder = new RecordingProcessorFactory { FailEvery = 4, Delay = TimeSpan.FromMilliseconds(15) };
        await using var host = await LoopbackHost.StartAsync(s => s.AddSingleton<IStreamProcessorFactory>(recorder));
        var options = Options(host, folder) with { MaxInFlight = 12, Format = WireFormat.Raw };
        using var source = FrameSourceFactory.Create(options);
        var sink = new CollectingSink();

        var summary = await new StreamSession(host.Channel, source, sink, options).RunAsync();

        Assert.Equal(24, summary.FramesSent);
        Assert.Equal(0, summary.FramesUnanswered);
        Assert.Equal(24, summary.FramesReceived + summary.FramesDropped + summary.FramesFailed);
        Assert.True(summary.MatchesServer);

        // Dropped frames never reach the processor; every other frame did, exactly once.
        Assert.Equal(summary.FramesReceived + summary.FramesFailed, recorder.PromptBySequence.Count);
        Assert.Equal(summary.FramesReceived, sink.Frames.Count);
        Assert.Equal(summary.FramesReceived, summary.Latency.Count);
    }
}
