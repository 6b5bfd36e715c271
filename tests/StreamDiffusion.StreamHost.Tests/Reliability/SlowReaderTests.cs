using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

[Collection(nameof(MemoryMeasuredCollection))]
public sealed class SlowReaderTests
{
    private const int Side = 1024;
    private const int FrameBytes = Side * Side * 3;

    [Fact]
    public async Task A_client_that_stops_reading_holds_bounded_memory_and_is_ended_after_the_read_timeout()
    {
        await using var host = await LoopbackHost.StartAsync(null,
            "Capacity:ClientReadTimeout=00:00:02", "Capacity:MaxPendingAnswers=8", "Capacity:InputQueueCapacity=2");

        // A real HTTP/2 client whose flow control stalls: SocketsHttpHandler sends WINDOW_UPDATE only as the
        // application reads, and this one never reads, so the host's responses stop after the first 64 KiB.
        using var handler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = 65535 };
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxSendMessageSize = 16 * 1024 * 1024,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        var client = new StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient(channel);
        using var call = client.Stream();
        await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig(Side)));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StreamResponse.PayloadOneofCase.Started, call.ResponseStream.Current.PayloadCase);

        // One payload shared by every frame, so the client's own memory does not grow with the frames it sends.
        var payload = ByteString.CopyFrom(new byte[FrameBytes]);
        var baseline = ManagedBytes();
        const int sent = 60;
        var sender = Task.Run(async () =>
        {
            for (var i = 1; i <= sent; i++)
            {
                await call.RequestStream.WriteAsync(Frames.Request(new InputFrame
                {
                    Data = payload,
                    Format = FrameFormat.Rgb24,
                    Width = Side,
                    Height = Side,
                    Sequence = (ulong)i,
                }));
            }
        });

        // While the client neither reads nor gets its frames read, the host holds a bounded amount:
        // 60 frames unbounded would be 180 MB.
        var registry = host.App.Services.GetRequiredService<SessionRegistry>();
        var peak = 0L;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (registry.ActiveCount > 0 && !guard.IsCancellationRequested)
        {
            peak = Math.Max(peak, ManagedBytes() - baseline);
            await Task.Delay(100);
        }

        Assert.Equal(0, registry.ActiveCount);
        // The path was exercised: the host read several 3 MB frames before it stopped reading. (Counted, not
        // sampled from the GC heap: a sample between collections can miss frames the host held briefly.)
        Assert.True(host.Metrics.FramesIn.Value >= 4, $"the host read only {host.Metrics.FramesIn.Value} frames");
        Assert.True(peak < 48L * 1024 * 1024, $"the host grew by {peak / (1024 * 1024)} MB while the client was not reading");
        Assert.True(host.Metrics.FramesIn.Value < sent, $"the host read all {sent} frames though the client read no answer");

        // The client learns RESOURCE_EXHAUSTED (an HTTP/2 reset with ENHANCE_YOUR_CALM: a status could not get
        // past the unsent responses).
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => sender);

        // The host serves others.
        var (next, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (next)
        {
            Assert.Null((await Frames.RoundTripAsync(next, Frames.Raw(8, 8, 1, 1))).Error);
        }
    }

    private static long ManagedBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
