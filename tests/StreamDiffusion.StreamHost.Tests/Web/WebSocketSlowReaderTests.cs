using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>
/// A WebSocket client that keeps sending but stops reading: once a response cannot be sent for the client read
/// timeout, the transport aborts the socket (a close frame could not get past the unsent data), the session ends and
/// its slot is free again, instead of the session waiting on the stalled send forever.
/// </summary>
public sealed class WebSocketSlowReaderTests
{
    private const int Side = 1024;

    [Fact]
    public async Task A_websocket_client_that_stops_reading_is_cut_off_after_the_read_timeout_and_its_slot_freed()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Capacity:ClientReadTimeout=00:00:02", "Capacity:MaxPendingAnswers=8");
        var registry = host.App.Services.GetRequiredService<SessionRegistry>();
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { type = "config", prompt = "p", width = Side, height = Side });
        Assert.Equal(1, registry.ActiveCount);

        // The echo processor answers each photo with itself (hundreds of KB): unread, the answers fill the loopback
        // socket buffers within a few dozen frames and the host's send stalls.
        var photos = WebTestData.Jpegs(Side);
        using var stop = new CancellationTokenSource();
        var sent = 0;
        var sender = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await ws.Socket.SendAsync(photos[sent % photos.Count], WebSocketMessageType.Binary, endOfMessage: true, stop.Token);
                    sent++;
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The host aborted the connection (or the test is over).
            }
        });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (registry.ActiveCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(registry.ActiveCount == 0, $"the session still holds its slot after {sent} unread frames");
        Assert.True(sent > 8, $"only {sent} frames went out: the host never had answers to send");

        // The host cut the connection: the client's blocked send failed by itself.
        var cut = await Task.WhenAny(sender, Task.Delay(TimeSpan.FromSeconds(20))) == sender;
        await stop.CancelAsync();
        await sender.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(cut, "the client's send still waits: the host left the stalled connection open");
    }
}
