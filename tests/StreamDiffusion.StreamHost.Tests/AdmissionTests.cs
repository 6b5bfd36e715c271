using Grpc.Core;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Tests;

public sealed class AdmissionTests
{
    [Fact]
    public async Task The_session_over_capacity_gets_resource_exhausted_while_the_others_continue()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=2");
        var (first, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        var (second, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (first)
        using (second)
        {
            using var third = host.Client.Stream();
            await third.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
            var ex = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
            Assert.Contains("capacity (2 sessions)", ex.Status.Detail, StringComparison.Ordinal);

            var f1 = Frames.Raw(8, 8, 1, 1);
            var f2 = Frames.Raw(8, 8, 2, 2);
            Assert.Equal(Frames.ExpectedEcho(f1), (await Frames.RoundTripAsync(first, f1)).Data.ToByteArray());
            Assert.Equal(Frames.ExpectedEcho(f2), (await Frames.RoundTripAsync(second, f2)).Data.ToByteArray());

            var caps = await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest());
            Assert.Equal(2, caps.ActiveSessions);
            Assert.Equal(2, caps.MaxSessions);

            await Frames.CompleteAsync(first);
            Assert.Equal(StatusCode.OK, first.GetStatus().StatusCode);
        }

        // A slot is free again (the second stream was cancelled by disposal; wait for the host to notice).
        while (host.Metrics.SessionsActive.Value > 0)
        {
            await Task.Delay(10);
        }

        var (fourth, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (fourth)
        {
            Assert.Null((await Frames.RoundTripAsync(fourth, Frames.Raw(8, 8, 1, 1))).Error);
            await Frames.CompleteAsync(fourth);
        }

        var rejected = await MetricsText.ReadAsync(host);
        Assert.Equal(1, rejected.Value("streamdiffusion_sessions_rejected_total", "reason=\"capacity\""));
        Assert.Equal(3, rejected.Value("streamdiffusion_sessions_started_total"));
    }
}
