using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.LoadTest.Cli;
using StreamDiffusion.LoadTest.Running;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.LoadTest.Tests;

public sealed class LoadTestRunTests
{
    [Fact]
    public async Task A_run_answers_every_frame_and_writes_the_summary_json_and_plots()
    {
        await using var host = await LoopbackHost.StartAsync();
        using var run = new TestRun();
        var options = TestRun.Options([host.GrpcAddress], host.HttpAddress) with { Streams = 3, FramesPerStream = 12 };

        Assert.Equal(ExitCodes.Ok, await run.ExecuteAsync(options));

        var report = run.Json("report.json");
        var total = report.GetProperty("total");
        Assert.Equal(3, report.GetProperty("streams").GetInt32());
        Assert.Equal(36, total.GetProperty("sent").GetInt64());
        Assert.Equal(36, total.GetProperty("out").GetInt64());
        Assert.Equal(3, total.GetProperty("sessions").GetInt64());
        Assert.Equal(0, report.GetProperty("lost").GetInt64());
        Assert.True(total.GetProperty("latency").GetProperty("p95_ms").GetDouble() > 0);
        Assert.True(total.GetProperty("time_to_session_started").GetProperty("count").GetInt64() == 3);

        // The replica is named by the host's response header.
        var replica = host.App.Services.GetRequiredService<ReplicaIdentity>().Name;
        Assert.Equal(replica, Assert.Single(report.GetProperty("replicas").EnumerateArray()).GetProperty("replica").GetString());

        // Every stream sent frames 0..11 on one call and got each back.
        foreach (var stream in report.GetProperty("stream_results").EnumerateArray())
        {
            var call = Assert.Single(stream.GetProperty("calls").EnumerateArray());
            Assert.Equal("OK", call.GetProperty("status").GetString());
            Assert.Equal(12, call.GetProperty("frames_answered").GetInt64());
            Assert.Empty(stream.GetProperty("lost").EnumerateArray());
        }

        // /metrics before and after: the host counted the three sessions and 36 frames.
        Assert.Equal(3, Delta(report, "streamdiffusion_sessions_started_total"));
        Assert.Equal(36, Delta(report, "streamdiffusion_frames_in_total"));
        Assert.True(report.GetProperty("samples").GetArrayLength() >= 1);

        Assert.Contains("3 streams at 20 fps", run.Output, StringComparison.Ordinal);
        run.AssertPng("latency.png");
        run.AssertPng("fps.png");
    }

    [Fact]
    public async Task A_ramp_reports_the_capacity_and_the_count_where_the_host_refuses()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=2");
        using var run = new TestRun();

        // Streams last longer than the channel's retries (5 tries, backoff up to 2 s), so the third is refused for good.
        var options = TestRun.Options([host.GrpcAddress]) with { FramesPerStream = 120, LatencyTarget = TimeSpan.FromSeconds(5) };

        Assert.Equal(ExitCodes.Ok, await run.ExecuteAsync(options, new RampOptions(2, 1, 4)));

        var ramp = run.Json("ramp.json");
        Assert.Equal(2, ramp.GetProperty("capacity").GetInt32());
        Assert.Equal(3, ramp.GetProperty("refused_at").GetInt32());

        // The ramp stops at the first refusing step: 4 streams are never tried.
        var steps = ramp.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal([2, 3], steps.Select(s => s.GetProperty("streams").GetInt32()));
        Assert.Equal(1, steps[1].GetProperty("errors").GetProperty("ResourceExhausted").GetInt64());
        Assert.Equal(2, steps[1].GetProperty("total").GetProperty("sessions").GetInt64());
        Assert.Contains("capacity: 2 streams", run.Output, StringComparison.Ordinal);
        run.AssertPng("ramp.png");
    }

    [Fact]
    public void Ramp_and_address_arguments_are_checked()
    {
        Assert.Equal(new RampOptions(1, 2, 7), LoadTestCommand.ParseRamp("1:2:7"));
        Assert.Equal([1, 3, 5, 7], new RampOptions(1, 2, 7).Counts());
        Assert.Throws<FormatException>(() => LoadTestCommand.ParseRamp("4:1:2"));
        Assert.Throws<FormatException>(() => LoadTestCommand.ParseRamp("1:0:2"));
        Assert.Throws<FormatException>(() => LoadTestCommand.ParseRamp("1:2"));
    }

    [Fact]
    public async Task Missing_images_are_an_input_error_not_a_crash()
    {
        using var run = new TestRun();
        var options = TestRun.Options([new Uri("http://127.0.0.1:1")]) with { ImagesFolder = Path.Combine(run.Folder, "none") };
        Assert.Equal(ExitCodes.InvalidInput, await run.ExecuteAsync(options));
        Assert.Contains("cannot make frames", run.Output, StringComparison.Ordinal);
    }

    private static double Delta(JsonElement report, string sample) =>
        Value(report.GetProperty("metrics_after")[0], sample) - Value(report.GetProperty("metrics_before")[0], sample);

    private static double Value(JsonElement snapshot, string sample) => snapshot.GetProperty("samples").GetProperty(sample).GetDouble();
}
