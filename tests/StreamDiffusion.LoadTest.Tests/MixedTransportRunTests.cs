using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.LoadTest.Cli;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.LoadTest.Tests;

public sealed class MixedTransportRunTests
{
    [Fact]
    public async Task Grpc_streams_websocket_sessions_and_video_calls_run_together_and_are_reported_apart()
    {
        await using var host = await LoopbackHost.StartAsync();
        using var run = new TestRun();
        var options = TestRun.Options([host.GrpcAddress], host.HttpAddress) with
        {
            Streams = 1,
            WebSocketStreams = 2,
            VideoStreams = 1,
            VideoPartitions = 1,
            FramesPerStream = 12,

            // The video call runs for the whole duration; long enough for its first frame on a loaded machine.
            Duration = TimeSpan.FromSeconds(10),
        };

        Assert.Equal(ExitCodes.Ok, await run.ExecuteAsync(options));

        // A live source skips slots it is late for (the video call shares the two cores), so what is checked is
        // that every slot was either sent or counted unsent, and every frame sent was answered: with an image, or
        // as dropped (a busy session keeps the newest frame, so under the video call's load one may be superseded).
        var report = run.Json("report.json");
        var total = report.GetProperty("total");
        var sent = total.GetProperty("sent").GetInt64();
        Assert.Equal(36, sent + report.GetProperty("unsent").GetInt64());
        Assert.True(sent >= 3, report.ToString());
        Assert.Equal(sent, total.GetProperty("answered").GetInt64());
        Assert.Equal(sent, total.GetProperty("out").GetInt64() + total.GetProperty("dropped").GetInt64());
        Assert.Equal(0, total.GetProperty("failed").GetInt64());
        Assert.True(total.GetProperty("out").GetInt64() >= 3, report.ToString());
        Assert.Equal(0, report.GetProperty("lost").GetInt64());
        Assert.Empty(report.GetProperty("errors").EnumerateObject());

        // Each transport on its own: one gRPC stream, two WebSocket sessions, every frame answered with an image.
        var transports = report.GetProperty("transports").EnumerateArray().ToDictionary(t => t.GetProperty("replica").GetString()!, StringComparer.Ordinal);
        Assert.Equal(["grpc", "websocket"], transports.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, transports["grpc"].GetProperty("sessions").GetInt64());
        Assert.Equal(2, transports["websocket"].GetProperty("sessions").GetInt64());
        Assert.Equal(sent, transports["grpc"].GetProperty("answered").GetInt64() + transports["websocket"].GetProperty("answered").GetInt64());
        Assert.True(transports["websocket"].GetProperty("out").GetInt64() > 0, report.ToString());
        Assert.True(transports["websocket"].GetProperty("latency").GetProperty("p50_ms").GetDouble() > 0);

        // WebSocket sessions are named by the replica header of the upgrade response, like gRPC calls.
        var replica = host.App.Services.GetRequiredService<ReplicaIdentity>().Name;
        var streams = report.GetProperty("stream_results").EnumerateArray().ToArray();
        Assert.Equal(["grpc", "websocket", "websocket"], streams.Select(s => s.GetProperty("transport").GetString()));
        Assert.All(streams, s =>
        {
            var call = Assert.Single(s.GetProperty("calls").EnumerateArray());
            Assert.Equal("OK", call.GetProperty("status").GetString());
            Assert.Equal(replica, call.GetProperty("replica").GetString());
            Assert.Equal(s.GetProperty("sent").GetInt64(), call.GetProperty("frames_answered").GetInt64());
            Assert.Equal(12, s.GetProperty("sent").GetInt64() + s.GetProperty("unsent").EnumerateArray().Sum(r => r.GetProperty("count").GetInt64()));
            Assert.Empty(s.GetProperty("lost").EnumerateArray());
        });

        // The video call ran until the run's duration, its frames in order from index 0, and the load test's
        // own stop counts as an ordinary end.
        var video = report.GetProperty("video");
        Assert.True(video.GetProperty("started").GetInt64() == 1, video.ToString());
        var frames = video.GetProperty("frames").GetInt64();
        Assert.True(frames > 0, "no video frame arrived");
        var videoCall = Assert.Single(video.GetProperty("calls").EnumerateArray());
        Assert.Equal("OK", videoCall.GetProperty("status").GetString());
        Assert.Equal(frames - 1, videoCall.GetProperty("last_index").GetInt64());
        Assert.Equal(frames, video.GetProperty("frames_by_replica").GetProperty(replica).GetInt64());
        Assert.Equal(1, video.GetProperty("time_to_first_frame").GetProperty("count").GetInt64());
        Assert.Contains("GenerateVideo calls ended: OK 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("via websocket", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_sessions_without_a_web_address_or_a_run_of_nothing_are_refused_before_starting()
    {
        using var run = new TestRun();
        var target = new Uri("http://127.0.0.1:1");
        Assert.Equal(ExitCodes.InvalidInput, await run.ExecuteAsync(TestRun.Options([target]) with { WebSocketStreams = 1 }));
        Assert.Contains("--websocket needs the hosts' web address", run.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.InvalidInput, await run.ExecuteAsync(TestRun.Options([target]) with { Streams = 0 }));
        Assert.Contains("nothing to run", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_host_refuses_a_websocket_session_and_the_report_counts_it_as_resource_exhausted()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=1");
        using var run = new TestRun();
        var options = TestRun.Options([host.GrpcAddress], host.HttpAddress) with
        {
            Streams = 1,
            WebSocketStreams = 1,
            FramesPerStream = 80,
            Duration = TimeSpan.FromSeconds(4),
        };

        Assert.Equal(ExitCodes.Ok, await run.ExecuteAsync(options));

        // One of the two got the slot; the other was refused at once, whichever transport came second.
        var report = run.Json("report.json");
        Assert.True(report.GetProperty("errors").TryGetProperty("ResourceExhausted", out var refused), report.ToString());
        Assert.Equal(1, refused.GetInt64());
        Assert.Equal(1, report.GetProperty("total").GetProperty("sessions").GetInt64());
    }
}
