using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Connection;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.LoadTest.Tests;

public sealed class FailoverTests
{
    [Fact]
    public async Task A_full_replica_refuses_and_the_channel_retries_the_call_on_another()
    {
        await using var full = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=1");
        await using var spare = await LoopbackHost.StartAsync();
        var (held, _) = await OpenAsync(full.Client);
        using var _ = held;

        using var channel = FailoverChannel.Create([full.GrpcAddress, spare.GrpcAddress], 1 << 20);
        var client = new Protos.V1.StreamDiffusion.StreamDiffusionClient(channel);
        var spareName = Name(spare);
        for (var i = 0; i < 4; i++)
        {
            // Round robin sends about half of these to the full host first; each must still start, on the spare.
            var (call, replica) = await OpenAsync(client);
            using (call)
            {
                Assert.Equal(spareName, replica);
                await call.RequestStream.CompleteAsync();
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }

                Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
            }
        }

        Assert.Equal(1, full.Metrics.SessionsStarted.Value);
    }

    [Fact]
    public async Task Streams_on_a_replica_that_shuts_down_reconnect_to_the_other_and_the_report_counts_what_was_lost()
    {
        await using var leaving = await LoopbackHost.StartAsync(null, "Capacity:DrainTimeout=00:00:00.3");
        await using var staying = await LoopbackHost.StartAsync();
        using var run = new TestRun();
        var options = TestRun.Options([leaving.GrpcAddress, staying.GrpcAddress]) with
        {
            Streams = 4,
            Duration = TimeSpan.FromSeconds(4),
            Reconnect = true,
        };

        var running = run.ExecuteAsync(options);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (leaving.Metrics.FramesOut.Value < 20 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, leaving.Metrics.SessionsActive.Value);
        await leaving.StopAsync();
        Assert.Equal(0, await running);

        var report = run.Json("report.json");
        var leavingName = Name(leaving);
        var stayingName = Name(staying);
        Assert.Equal(
            new[] { leavingName, stayingName }.Order(StringComparer.Ordinal),
            report.GetProperty("replicas").EnumerateArray().Select(r => r.GetProperty("replica").GetString()).Order(StringComparer.Ordinal));

        long sent = 0, answered = 0, lost = 0;
        var moved = 0;
        foreach (var stream in report.GetProperty("stream_results").EnumerateArray())
        {
            var calls = stream.GetProperty("calls").EnumerateArray().ToArray();
            var lostRanges = stream.GetProperty("lost").EnumerateArray().ToArray();
            sent += stream.GetProperty("sent").GetInt64();
            answered += stream.GetProperty("answered").GetInt64();
            lost += stream.GetProperty("lost_count").GetInt64();
            Assert.Equal("OK", calls[^1].GetProperty("status").GetString());
            Assert.Equal(stayingName, calls[^1].GetProperty("replica").GetString());
            if (calls[0].GetProperty("replica").GetString() == stayingName)
            {
                Assert.Single(calls);
                Assert.Empty(lostRanges);
                continue;
            }

            // Ended by the drain deadline with UNAVAILABLE trailers (a response write is never cut by the shutdown,
            // so the client learns why), then served by the other replica from the current frame on.
            moved++;
            var ended = calls[0].GetProperty("status").GetString();
            var detail = calls[0].GetProperty("detail").GetString()!;
            Assert.True(ended == "Unavailable" && detail.Contains("shutting down", StringComparison.Ordinal), calls[0].ToString());
            Assert.NotEmpty(stream.GetProperty("reconnect_ms").EnumerateArray());
            Assert.All(stream.GetProperty("reconnect_ms").EnumerateArray(), r => Assert.InRange(r.GetDouble(), 0, 10_000));

            // Exactly the frames the ended calls sent and never got back are lost, all before the last call's first frame.
            var unanswered = calls[..^1].Sum(c => c.GetProperty("frames_sent").GetInt64() - c.GetProperty("frames_answered").GetInt64());
            Assert.Equal(unanswered, stream.GetProperty("lost_count").GetInt64());
            var resumedAt = calls[^1].GetProperty("first_sequence").GetInt64();
            Assert.All(lostRanges, r => Assert.True(r.GetProperty("last").GetInt64() < resumedAt));
        }

        Assert.Equal(2, moved);
        Assert.Equal(sent, answered + lost);
    }

    private static string Name(LoopbackHost host) => host.App.Services.GetRequiredService<ReplicaIdentity>().Name;

    private static async Task<(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> Call, string Replica)> OpenAsync(
        Protos.V1.StreamDiffusion.StreamDiffusionClient client)
    {
        var call = client.Stream();
        await call.RequestStream.WriteAsync(new StreamRequest
        {
            Config = new SessionConfig { Mode = GenerationMode.Img2Img, Width = 64, Height = 64, OutputEncoding = OutputEncoding.Jpeg },
        });
        var headers = await call.ResponseHeadersAsync;
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StreamResponse.PayloadOneofCase.Started, call.ResponseStream.Current.PayloadCase);
        return (call, headers.GetValue(ReplicaIdentity.HeaderName)!);
    }
}
