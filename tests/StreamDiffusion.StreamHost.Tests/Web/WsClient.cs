using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>A test client of /ws/stream (or /ws/video) on <see cref="ClientWebSocket"/>, with a guard timeout on every receive.</summary>
internal sealed class WsClient : IAsyncDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(90);
    private readonly byte[] _buffer = new byte[64 * 1024];

    private WsClient(ClientWebSocket socket)
    {
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public static async Task<WsClient> ConnectAsync(Uri httpAddress, string path = "/ws/stream")
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(httpAddress) { Scheme = "ws", Path = path }.Uri;
        using var cts = new CancellationTokenSource(s_guard);
        await socket.ConnectAsync(uri, cts.Token);
        return new WsClient(socket);
    }

    public Task SendTextAsync(string json) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendJsonAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public Task SendBinaryAsync(byte[] data) =>
        Socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Next message; Close type when the server closed (then Socket.CloseStatus is set).</summary>
    public async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync()
    {
        using var cts = new CancellationTokenSource(s_guard);
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Next message, which must be JSON text.</summary>
    public async Task<JsonElement> ReceiveJsonAsync()
    {
        var (type, data) = await ReceiveAsync();
        Assert.True(type == WebSocketMessageType.Text, $"expected a JSON text message, got {type} (close: {Socket.CloseStatus} {Socket.CloseStatusDescription})");
        return JsonDocument.Parse(data).RootElement.Clone();
    }

    /// <summary>Sends the config and returns the "started" message.</summary>
    public async Task<JsonElement> StartAsync(object config)
    {
        await SendJsonAsync(config);
        var started = await ReceiveJsonAsync();
        Assert.Equal("started", started.GetProperty("type").GetString());
        return started;
    }

    /// <summary>Next frame metadata (stats skipped) and its image when bytes &gt; 0; null at a close.</summary>
    public async Task<(JsonElement Meta, byte[]? Image)?> ReceiveFrameAsync()
    {
        while (true)
        {
            var (type, data) = await ReceiveAsync();
            if (type == WebSocketMessageType.Close)
            {
                return null;
            }

            Assert.Equal(WebSocketMessageType.Text, type);
            var meta = JsonDocument.Parse(data).RootElement.Clone();
            var kind = meta.GetProperty("type").GetString();
            if (kind == "stats")
            {
                continue;
            }

            Assert.True(kind == "frame", "unexpected message: " + meta);
            var bytes = meta.GetProperty("bytes").GetInt32();
            if (bytes == 0)
            {
                return (meta, null);
            }

            var (imageType, image) = await ReceiveAsync();
            Assert.Equal(WebSocketMessageType.Binary, imageType);
            Assert.Equal(bytes, image.Length);
            return (meta, image);
        }
    }

    /// <summary>Sends one frame and waits for its answer.</summary>
    public async Task<(JsonElement Meta, byte[]? Image)> RoundTripAsync(byte[] jpeg)
    {
        await SendBinaryAsync(jpeg);
        var frame = await ReceiveFrameAsync();
        Assert.True(frame.HasValue, $"the server closed: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
        return frame.Value;
    }

    /// <summary>
    /// Closes from the client side and collects what the server still sends: the messages before its close frame.
    /// </summary>
    public async Task<List<JsonElement>> CloseAsync()
    {
        await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        var rest = new List<JsonElement>();
        while (true)
        {
            var (type, data) = await ReceiveAsync();
            if (type == WebSocketMessageType.Close)
            {
                return rest;
            }

            if (type == WebSocketMessageType.Text)
            {
                rest.Add(JsonDocument.Parse(data).RootElement.Clone());
            }
        }
    }

    /// <summary>Reads until the server's close frame; returns the JSON messages before it.</summary>
    public async Task<List<JsonElement>> ReadToCloseAsync()
    {
        var messages = new List<JsonElement>();
        while (true)
        {
            var (type, data) = await ReceiveAsync();
            if (type == WebSocketMessageType.Close)
            {
                return messages;
            }

            if (type == WebSocketMessageType.Text)
            {
                messages.Add(JsonDocument.Parse(data).RootElement.Clone());
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
