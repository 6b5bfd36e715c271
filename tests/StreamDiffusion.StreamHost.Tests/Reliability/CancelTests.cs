using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

public sealed class CancelTests
{
    // The promise the service makes: a cancelled call frees its slot within a second.
    private static readonly TimeSpan s_slotFreed = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Four_calls_cancelled_while_their_work_is_stuck_free_their_slots_within_a_second(bool stuckInFrame)
    {
        var factory = new StallingProcessorFactory { StallCreate = !stuckInFrame, StallFrames = stuckInFrame };
        await using var host = await LoopbackHost.StartAsync(s => s.AddSingleton<IStreamProcessorFactory>(factory), "Limits:MaxSessions=4");
        try
        {
            for (var i = 0; i < 4; i++)
            {
                using var cts = new CancellationTokenSource();
                using var call = host.Client.Stream(cancellationToken: cts.Token);
                await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
                if (stuckInFrame)
                {
                    Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                    await call.RequestStream.WriteAsync(Frames.Request(Frames.Raw(8, 8, 1, 1)));
                }

                // Cancelled while the host is inside work that does not look at the token.
                Assert.True(await factory.Blocked.WaitAsync(TimeSpan.FromSeconds(30)));
                await cts.CancelAsync();
                await WaitForNoSessionsAsync(host, s_slotFreed, $"call {i + 1}");
            }

            // The connection stays open and every slot is free for the next client (even before the stuck work ends).
            Assert.Equal(0, (await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest())).ActiveSessions);
            factory.Unblock();
            var (next, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
            using (next)
            {
                Assert.Equal(1, (await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest())).ActiveSessions);
            }
        }
        finally
        {
            factory.Unblock();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_call_cancelled_around_its_start_frees_its_slot_within_a_second(int point)
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=4");
        for (var i = 0; i < 8; i++)
        {
            using var cts = new CancellationTokenSource();
            using var call = host.Client.Stream(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
            if (point >= 1)
            {
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            }

            if (point == 2)
            {
                await call.RequestStream.WriteAsync(Frames.Request(Frames.Raw(8, 8, 1, 1)));
            }

            await cts.CancelAsync();
            await WaitForNoSessionsAsync(host, s_slotFreed, $"call {i + 1}");
        }
    }

    internal static async Task WaitForNoSessionsAsync(LoopbackHost host, TimeSpan within, string what)
    {
        var registry = host.App.Services.GetRequiredService<SessionRegistry>();
        var clock = Stopwatch.StartNew();
        while (registry.ActiveCount > 0 && clock.Elapsed < within + TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        Assert.True(registry.ActiveCount == 0, $"{what}: the slot is still held after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(clock.Elapsed <= within, $"{what}: the slot was freed after {clock.Elapsed.TotalSeconds:F2} s, more than {within.TotalSeconds} s");
    }
}
