using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Shutdown_refuses_new_sessions_and_lets_running_streams_finish()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Capacity:DrainTimeout=00:00:30");
        var registry = host.App.Services.GetRequiredService<SessionRegistry>();
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using var _ = call;
        Assert.Null((await Frames.RoundTripAsync(call, Frames.Raw(8, 8, 1, 1))).Error);

        var stopping = host.StopAsync();
        while (!registry.IsDraining)
        {
            await Task.Delay(10);
        }

        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        using (var late = host.Client.Stream())
        {
            await late.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
            var ex = await Assert.ThrowsAsync<RpcException>(() => late.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        }

        // The running stream still works and ends normally.
        var frame = Frames.Raw(8, 8, 2, 2);
        Assert.Equal(Frames.ExpectedEcho(frame), (await Frames.RoundTripAsync(call, frame)).Data.ToByteArray());
        Assert.False(stopping.IsCompleted);
        var (_, final) = await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(2UL, final!.FramesOut);
        await stopping;
        Assert.Equal(0, registry.ActiveCount);
    }

    [Fact]
    public async Task Streams_still_running_at_the_drain_deadline_end_with_unavailable()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Capacity:DrainTimeout=00:00:00.2");
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using var _ = call;
        Assert.Null((await Frames.RoundTripAsync(call, Frames.Raw(8, 8, 1, 1))).Error);

        var stopping = host.StopAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Frames.NextFrameAsync(call.ResponseStream));
        Assert.True(ex.StatusCode == StatusCode.Unavailable, $"{ex.StatusCode}: {ex.Status.Detail} {ex.Status.DebugException}");
        Assert.Contains("shutting down", ex.Status.Detail, StringComparison.Ordinal);
        await stopping;
    }
}
