using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Tests.Quotas;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>
/// A key's <c>MaxFps</c> caps each of its sessions through the per-stream frame-rate cap, with the host's and the
/// session's own caps (the lowest wins). The host's clock is a <see cref="ManualClock"/>, so counts do not depend
/// on the machine's speed.
/// </summary>
public sealed class KeyFrameRateTests
{
    private const int Size = 16;

    [Fact]
    public async Task A_keys_max_fps_caps_its_sessions_below_the_hosts_cap_and_another_key_keeps_the_hosts()
    {
        var clock = new ManualClock();
        await using var host = await LoopbackHost.StartAsync(services =>
        {
            LoopbackHost.UseEcho(services);
            services.AddSingleton<TimeProvider>(clock);
        }, [.. AuthTestKeys.Settings, "Capacity:MaxFramesPerSecondPerStream=10"]);

        // "limited" has MaxFps 5: two seconds at 40 fps give about 10 (plus the burst of two) processed.
        var limited = await ProcessedAsync(host, clock, AuthTestKeys.Limited);
        Assert.InRange(limited, 8, 14);

        // "open" has no cap of its own: the host's 10 fps holds.
        var open = await ProcessedAsync(host, clock, AuthTestKeys.Open);
        Assert.InRange(open, 18, 24);
    }

    private static async Task<int> ProcessedAsync(LoopbackHost host, ManualClock clock, string key)
    {
        using var call = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(key), Frames.RawConfig(Size));
        var processed = 0;
        for (var i = 1; i <= 80; i++)
        {
            var output = await Frames.RoundTripAsync(call, Frames.Raw(Size, Size, (ulong)i, i));
            Assert.Null(output.Error);
            processed += output.Dropped ? 0 : 1;
            clock.Advance(TimeSpan.FromMilliseconds(25));
        }

        var (_, final) = await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.NotNull(final);
        Assert.Equal((ulong)(80 - processed), final.FramesDroppedFpsCap);
        return processed;
    }
}
