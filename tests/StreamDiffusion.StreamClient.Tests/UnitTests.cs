using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.StreamClient.Cli;
using StreamDiffusion.StreamClient.Reporting;
using StreamDiffusion.StreamClient.Sessions;
using StreamDiffusion.StreamClient.Sources;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>The client's pieces on their own: parsing, pacing, latency statistics, prompt input, frame preparation.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData("webcam", InputKind.Webcam, 0)]
    [InlineData("WEBCAM:3", InputKind.Webcam, 3)]
    [InlineData("clip.mp4", InputKind.Path, 0)]
    [InlineData("frames/", InputKind.Path, 0)]
    public void Input_spec_parses_paths_and_webcams(string value, InputKind kind, int index)
    {
        var spec = InputSpec.Parse(value);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(index, spec.WebcamIndex);
        Assert.Equal(kind == InputKind.Path ? value : string.Empty, spec.Path);
    }

    [Theory]
    [InlineData("webcam:x")]
    [InlineData("webcam:-1")]
    [InlineData(" ")]
    public void Input_spec_rejects_bad_values(string value) => Assert.Throws<FormatException>(() => InputSpec.Parse(value));

    [Fact]
    public void Server_address_defaults_to_http()
    {
        Assert.Equal(new Uri("http://10.0.0.5:50051"), StreamClientCommand.ParseServer("10.0.0.5:50051"));
        Assert.Equal(new Uri("https://host.example:443"), StreamClientCommand.ParseServer("https://host.example:443"));
        Assert.Throws<FormatException>(() => StreamClientCommand.ParseServer("ftp://host"));
    }

    [Fact]
    public void Pacer_plans_waits_from_the_frame_schedule_and_rebases_when_far_behind()
    {
        var pacer = new FramePacer(10);
        Assert.Equal(TimeSpan.FromMilliseconds(500), pacer.Offset(5));
        var (wait, rebase) = pacer.Plan(5, TimeSpan.FromMilliseconds(300));
        Assert.Equal(TimeSpan.FromMilliseconds(200), wait);
        Assert.False(rebase);

        // 50 ms late: send now, keep the schedule; 300 ms late (3 intervals): restart it.
        Assert.Equal((TimeSpan.Zero, false), pacer.Plan(5, TimeSpan.FromMilliseconds(550)));
        Assert.Equal((TimeSpan.Zero, true), pacer.Plan(5, TimeSpan.FromMilliseconds(800)));
        Assert.Equal((TimeSpan.Zero, false), new FramePacer(0).Plan(1000, TimeSpan.Zero));
    }

    [Fact]
    public void Latency_report_gives_exact_mean_and_percentiles_within_histogram_precision()
    {
        var report = new LatencyReport();
        Assert.Equal(default, report.Summarize());

        // 1 .. 1000 ms, in reverse order so order does not matter.
        for (var ms = 1000; ms >= 1; ms--)
        {
            report.Record(ms * 1000L);
        }

        var s = report.Summarize();
        Assert.Equal(1000, s.Count);
        Assert.Equal(500.5, s.MeanMs, 9);
        Assert.Equal(500, s.P50Ms, 500 * 0.001);
        Assert.Equal(950, s.P95Ms, 950 * 0.001);
        Assert.Equal(1000, s.MaxMs, 1000 * 0.001);
    }

    [Fact]
    public async Task Prompt_reader_passes_each_non_blank_line_trimmed()
    {
        var prompts = new List<string>();
        var count = await PromptReader.RunAsync(new StringReader("a red fox\n\n   \n  watercolor  \n"), prompts.Add, CancellationToken.None);

        Assert.Equal(2, count);
        Assert.Equal(["a red fox", "watercolor"], prompts);
    }

    [Fact]
    public void Raw_encoder_keeps_pixels_exactly_at_the_session_size_and_crops_the_centre_otherwise()
    {
        var pixels = new byte[64 * 64 * 3];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i * 31) + (i / 192));
        }

        using var encoder = new InputFrameEncoder(64, WireFormat.Raw, 85);
        var same = encoder.Encode(new RgbFrame(pixels, 64, 64, 192, 0, TimeSpan.Zero));
        Assert.Equal(pixels, same.Data.ToArray());
        Assert.Equal(FrameDescriptor.Rgb24(64, 64, 192), same.Descriptor);

        // 128x64: the centre 64 columns survive as they are (no resize needed after a height-fit of 1:1).
        var wide = new byte[128 * 64 * 3];
        for (var y = 0; y < 64; y++)
        {
            pixels.AsSpan(y * 192, 192).CopyTo(wide.AsSpan((y * 384) + (32 * 3), 192));
        }

        Assert.Equal(pixels, encoder.Encode(new RgbFrame(wide, 128, 64, 384, 0, TimeSpan.Zero)).Data.ToArray());
    }

    [Fact]
    public void Image_source_repeats_the_image_frames_times()
    {
        using var source = new FileFrameSource(TestMedia.ImagePath("coffee.png"), frames: 4, fallbackFps: 8);
        Assert.Equal(4, source.FrameCount);
        var frames = source.ReadFrames(CancellationToken.None).Select(f => (f.Index, f.Timestamp, f.Width, Sum: f.Data.Span[..300].ToArray().Sum(b => b))).ToList();
        Assert.Equal([0, 1, 2, 3], frames.Select(f => f.Index));
        Assert.Equal(TimeSpan.FromSeconds(3 / 8.0), frames[3].Timestamp);
        Assert.Single(frames.Select(f => f.Sum).Distinct());
        Assert.Equal(source.Width, frames[0].Width);
    }

    [Fact]
    public void Summary_lines_report_the_counts_and_latency()
    {
        var summary = new StreamSummary
        {
            SessionId = "s1",
            Width = 64,
            Height = 64,
            FramesSent = 10,
            FramesReceived = 7,
            FramesSkipped = 2,
            FramesDropped = 2,
            FramesFailed = 1,
            FramesWritten = 7,
            ControlsSent = 1,
            Latency = new LatencySummary(7, 12.25, 11, 20, 21),
            Elapsed = TimeSpan.FromSeconds(2),
        };
        var lines = SummaryFormatter.Format(summary, "out.mp4");

        Assert.Equal("session s1: 64x64, 2.00 s, 3.5 fps received", lines[0]);
        Assert.Equal("frames: sent 10, received 7, skipped 2, dropped 2, failed 1", lines[1]);
        Assert.Equal("latency ms: mean 12.3, p50 11.0, p95 20.0, max 21.0 (7 frames)", lines[2]);
        Assert.Contains("prompt changes sent: 1", lines);
        Assert.Contains("output: out.mp4 (7 frames)", lines);
        Assert.Contains("server: no final statistics (the stream did not end normally)", lines);
    }
}
