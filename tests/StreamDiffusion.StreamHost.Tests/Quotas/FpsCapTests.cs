using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Quotas;

/// <summary>
/// The per-stream frame-rate cap over real gRPC: frames over the cap are answered dropped in order, counted in
/// SessionStats and /metrics, and the lower of the host's and the session's caps applies. The host's clock is a
/// <see cref="ManualClock"/> the test advances between frames, so counts do not depend on the machine's speed.
/// </summary>
public sealed class FpsCapTests
{
    private const int Size = 16;

    [Fact]
    public async Task A_client_sending_at_four_times_the_hosts_cap_gets_about_the_caps_worth_processed_and_the_rest_answered_dropped()
    {
        var clock = new ManualClock();
        await using var host = await LoopbackHost.StartAsync(Services(clock), "Capacity:MaxFramesPerSecondPerStream=10");
        var (processed, dropped, final) = await SendAsync(host, clock, Frames.RawConfig(Size), frames: 80, interval: TimeSpan.FromMilliseconds(25));

        // Two seconds at 40 fps against a cap of 10: about 20 processed (plus the burst of two), the rest dropped.
        Assert.InRange(processed, 18, 24);
        Assert.Equal(80 - processed, dropped);
        Assert.Equal((ulong)dropped, final.FramesDroppedFpsCap);
        Assert.Equal((ulong)dropped, final.FramesDropped);
        Assert.Equal((ulong)processed, final.FramesOut);
        var metrics = await MetricsText.ReadAsync(host);
        Assert.Equal(dropped, metrics.Value("streamdiffusion_frames_dropped_by_reason_total", "reason=\"fps_cap\""));
        Assert.Equal(dropped, metrics.Value("streamdiffusion_frames_dropped_total"));
    }

    [Fact]
    public async Task A_session_may_ask_for_a_lower_cap_than_the_hosts_and_a_client_under_its_cap_loses_nothing()
    {
        var clock = new ManualClock();
        await using var host = await LoopbackHost.StartAsync(Services(clock), "Capacity:MaxFramesPerSecondPerStream=10");
        var config = Frames.RawConfig(Size);
        config.MaxFps = 5;
        var (processed, _, capped) = await SendAsync(host, clock, config, frames: 80, interval: TimeSpan.FromMilliseconds(25));
        Assert.InRange(processed, 8, 14);
        Assert.Equal((ulong)(80 - processed), capped.FramesDroppedFpsCap);

        // At the cap (5 fps with jitter of a fifth of the interval) nothing is dropped.
        config.MaxFps = 5;
        var (all, none, _) = await SendAsync(host, clock, config, frames: 20, interval: TimeSpan.FromMilliseconds(200), jitter: TimeSpan.FromMilliseconds(40));
        Assert.Equal(20, all);
        Assert.Equal(0, none);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(5000f)]
    [InlineData(float.NaN)]
    public async Task A_max_fps_out_of_range_is_INVALID_ARGUMENT_naming_the_field(float maxFps)
    {
        await using var host = await LoopbackHost.StartAsync();
        var config = Frames.RawConfig(Size);
        config.MaxFps = maxFps;
        using var call = host.Client.Stream();
        await call.RequestStream.WriteAsync(Frames.Config(config));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("config.max_fps", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(10, 0, 10)]
    [InlineData(0, 7, 7)]
    [InlineData(10, 5, 5)]
    [InlineData(10, 20, 10)]
    public void The_effective_cap_is_the_lowest_positive_one(double host, double session, double expected)
    {
        Assert.Equal(expected, FrameRateLimiter.Effective(host, session));
        Assert.Equal(Math.Min(expected == 0 ? 3 : expected, 3), FrameRateLimiter.Effective(host, session, 3));
    }

    [Fact]
    public void A_negative_host_cap_is_a_configuration_error() =>
        Assert.Throws<InvalidOperationException>(() => Serving.ServeCommand.Build(["--Capacity:MaxFramesPerSecondPerStream=-1"]));

    private static Action<IServiceCollection> Services(ManualClock clock) => services =>
    {
        LoopbackHost.UseEcho(services);
        services.AddSingleton<TimeProvider>(clock);
    };

    // Sends frames one at a time, each after the previous answer, moving the host's clock by the interval (plus or
    // minus the jitter, alternately) between them; returns how many were processed and dropped, and the final stats.
    private static async Task<(int Processed, int Dropped, SessionStats Final)> SendAsync(
        LoopbackHost host, ManualClock clock, SessionConfig config, int frames, TimeSpan interval, TimeSpan jitter = default)
    {
        var (call, _) = await Frames.OpenAsync(host.Client, config);
        using var _ = call;
        var processed = 0;
        var dropped = 0;
        for (var i = 1; i <= frames; i++)
        {
            var output = await Frames.RoundTripAsync(call, Frames.Raw(Size, Size, (ulong)i, i));
            Assert.Equal((ulong)i, output.Sequence);
            Assert.Null(output.Error);
            if (output.Dropped)
            {
                dropped++;
                Assert.True(output.Data.IsEmpty);
            }
            else
            {
                processed++;
                Assert.Equal(Size * Size * 3, output.Data.Length);
            }

            clock.Advance(i % 2 == 0 ? interval + jitter : interval - jitter);
        }

        var (_, final) = await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.NotNull(final);
        return (processed, dropped, final);
    }
}
