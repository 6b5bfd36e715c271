using System.Globalization;
using Grpc.Health.V1;
using Grpc.Net.Client;
using StreamDiffusion.LoadTest.Metrics;
using Xunit.Abstractions;

namespace StreamDiffusion.LoadTest.Tests.ScaleOut;

/// <summary>
/// Two real host processes behind Debian's nginx running deploy/nginx/streamdiffusion.conf; the load test streams
/// through nginx; one host gets SIGTERM mid-run. Bounded: the run lasts 14 s, every wait has a deadline.
/// </summary>
public sealed class NginxScaleOutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Streams_spread_over_both_replicas_and_survive_one_being_terminated()
    {
        await using var leaving = await ReplicaProcess.StartAsync("replica-a", "--Capacity:DrainTimeout=00:00:02");
        await using var staying = await ReplicaProcess.StartAsync("replica-b", "--Capacity:DrainTimeout=00:00:02");
        await using var nginx = await NginxProcess.StartAsync([(leaving.GrpcAddress, leaving.HttpAddress), (staying.GrpcAddress, staying.HttpAddress)]);
        using var run = new TestRun();
        using var http = new HttpClient();
        var options = TestRun.Options([nginx.GrpcAddress], leaving.HttpAddress, staying.HttpAddress) with
        {
            Streams = 4,
            Fps = 8,
            Size = 128,
            Duration = TimeSpan.FromSeconds(14),
            Reconnect = true,
            StartTimeout = TimeSpan.FromSeconds(30),
        };

        var running = run.ExecuteAsync(options);

        // least_conn spreads the four streams: wait until both replicas serve some, then terminate one.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        double onLeaving = 0, onStaying = 0;
        while ((onLeaving == 0 || onStaying == 0 || onLeaving + onStaying < 4) && DateTime.UtcNow < deadline && !running.IsCompleted)
        {
            await Task.Delay(200);
            onLeaving = await ActiveAsync(http, leaving.HttpAddress);
            onStaying = await ActiveAsync(http, staying.HttpAddress);
        }

        Assert.True(onLeaving > 0 && onStaying > 0, $"streams did not spread: {onLeaving} on a, {onStaying} on b\n{run.Output}\n{nginx.ErrorLog}");
        leaving.SendSigterm();

        // The terminated host drains (2 s), ends the rest with UNAVAILABLE and exits cleanly.
        await leaving.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(leaving.ExitCode == 0, $"replica-a exited with {leaving.ExitCode}:\n{leaving.Output}");
        Assert.Contains("Drain deadline passed: ending", leaving.Output, StringComparison.Ordinal);

        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(120)));
        Assert.False(staying.HasExited, staying.Output);
        using (var channel = GrpcChannel.ForAddress(staying.GrpcAddress))
        {
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        }

        var report = run.Json("report.json");
        var replicas = report.GetProperty("replicas").EnumerateArray().ToDictionary(r => r.GetProperty("replica").GetString()!, r => r);
        Assert.True(replicas.ContainsKey("replica-a") && replicas.ContainsKey("replica-b"), string.Join(", ", replicas.Keys));
        Assert.True(replicas["replica-a"].GetProperty("out").GetInt64() > 0);
        Assert.True(replicas["replica-b"].GetProperty("out").GetInt64() > 0);

        long sent = 0, answered = 0, lost = 0;
        var moved = 0;
        foreach (var stream in report.GetProperty("stream_results").EnumerateArray())
        {
            var calls = stream.GetProperty("calls").EnumerateArray().ToArray();
            var index = stream.GetProperty("index").GetInt32();
            var streamLost = stream.GetProperty("lost_count").GetInt64();
            sent += stream.GetProperty("sent").GetInt64();
            answered += stream.GetProperty("answered").GetInt64();
            lost += streamLost;

            // Every stream ends its run normally on the replica that stayed.
            Assert.Equal("OK", calls[^1].GetProperty("status").GetString());
            Assert.Equal("replica-b", calls[^1].GetProperty("replica").GetString());
            if (calls[0].GetProperty("replica").GetString() != "replica-a")
            {
                Assert.Single(calls);
                Assert.Equal(0, streamLost);
                output.WriteLine($"stream {index}: replica-b throughout, {stream.GetProperty("answered").GetInt64()} frames answered, none lost");
                continue;
            }

            // Moved: lost exactly the frames in flight when replica-a ended the call; the slots while reconnecting were not sent.
            moved++;
            Assert.NotEqual("OK", calls[0].GetProperty("status").GetString());
            var unanswered = calls[..^1].Sum(c => c.GetProperty("frames_sent").GetInt64() - c.GetProperty("frames_answered").GetInt64());
            Assert.Equal(unanswered, streamLost);
            var reconnect = stream.GetProperty("reconnect_ms").EnumerateArray().Select(r => r.GetDouble()).ToArray();
            Assert.NotEmpty(reconnect);
            var lostRanges = string.Join(' ', stream.GetProperty("lost").EnumerateArray().Select(r => $"{r.GetProperty("first").GetInt64()}-{r.GetProperty("last").GetInt64()}"));
            var unsentRanges = string.Join(' ', stream.GetProperty("unsent").EnumerateArray().Select(r => $"{r.GetProperty("first").GetInt64()}-{r.GetProperty("last").GetInt64()}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stream {index}: replica-a ended it with {calls[0].GetProperty("status").GetString()} ({calls[0].GetProperty("detail").GetString()}); lost {streamLost} in flight [{lostRanges}]; not sent while reconnecting [{unsentRanges}]; reconnected to replica-b in {reconnect[^1]:0} ms after {calls.Length - 1} ended call(s)"));
        }

        Assert.True(moved > 0);
        Assert.Equal(sent, answered + lost);
        output.WriteLine($"total: sent {sent}, answered {answered}, lost {lost}; {moved} of 4 streams moved");
    }

    private static async Task<double> ActiveAsync(HttpClient http, Uri endpoint)
    {
        var snapshot = await MetricsScraper.ScrapeAsync(http, endpoint, CancellationToken.None);
        return snapshot.Value("streamdiffusion_sessions_active") ?? 0;
    }
}
