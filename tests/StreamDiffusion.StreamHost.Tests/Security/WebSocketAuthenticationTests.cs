using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>/ws/stream with auth on: a key in a header or the access_token query parameter, and the key's limits.</summary>
public sealed class WebSocketAuthenticationTests
{
    [Fact]
    public async Task A_websocket_without_a_valid_key_is_refused_at_the_handshake_with_401()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        var wrong = StreamHost.Security.ApiKeyHash.NewKey();
        foreach (var how in new[] { "none", "query", "subprotocol" })
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            if (how == "subprotocol")
            {
                socket.Options.AddSubProtocol("streamdiffusion.v1");
                socket.Options.AddSubProtocol("access_token." + wrong);
            }

            var query = how == "query" ? "?access_token=" + wrong : string.Empty;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Address(host, query), CancellationToken.None));
            Assert.True(socket.HttpStatusCode == HttpStatusCode.Unauthorized, $"{how}: {socket.HttpStatusCode}");
        }
    }

    [Theory]
    [InlineData("query")]
    [InlineData("header")]
    [InlineData("subprotocol")]
    public async Task A_websocket_with_a_key_streams_and_counts_against_the_keys_session_limit(string how)
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        using var first = await ConnectAsync(host, AuthTestKeys.Limited, how);
        var started = await ConfigAsync(first, new { type = "config", prompt = "a", width = 64, height = 64 });
        Assert.Equal("started", started.GetProperty("type").GetString());

        // The key's one session is taken: gRPC and a second WebSocket are both refused.
        var grpc = await AuthTestKeys.RefusedAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Limited), Frames.RawConfig());
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, grpc.StatusCode);
        using var second = await ConnectAsync(host, AuthTestKeys.Limited, how);
        var error = await ConfigAsync(second, new { type = "config", prompt = "a", width = 64, height = 64 });
        Assert.Equal("RESOURCE_EXHAUSTED", error.GetProperty("code").GetString());
        await ReceiveCloseAsync(second);
        Assert.Equal(WebSocketStreamEndpoint.TryAgainLater, second.CloseStatus);

        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [Fact]
    public async Task A_websocket_with_a_disallowed_model_or_size_closes_1008_with_permission_denied()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        using var model = await ConnectAsync(host, AuthTestKeys.OtherModel, "query");
        var error = await ConfigAsync(model, new { type = "config", prompt = "a", width = 64, height = 64 });
        Assert.Equal("PERMISSION_DENIED", error.GetProperty("code").GetString());
        Assert.StartsWith("config.model:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await ReceiveCloseAsync(model);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, model.CloseStatus);

        using var size = await ConnectAsync(host, AuthTestKeys.Limited, "header");
        error = await ConfigAsync(size, new { type = "config", prompt = "a", width = 64, height = 512 });
        Assert.Equal("PERMISSION_DENIED", error.GetProperty("code").GetString());
        Assert.StartsWith("config.height: 512", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static Uri Address(LoopbackHost host, string query) =>
        new UriBuilder(host.HttpAddress) { Scheme = "ws", Path = "/ws/stream", Query = query.TrimStart('?') }.Uri;

    private static async Task<ClientWebSocket> ConnectAsync(LoopbackHost host, string key, string how)
    {
        var socket = new ClientWebSocket();
        if (how == "header")
        {
            socket.Options.SetRequestHeader("x-api-key", key);
        }
        else if (how == "subprotocol")
        {
            socket.Options.AddSubProtocol("streamdiffusion.v1");
            socket.Options.AddSubProtocol("access_token." + key);
        }

        await socket.ConnectAsync(Address(host, how == "query" ? "?access_token=" + Uri.EscapeDataString(key) : string.Empty), CancellationToken.None);

        // The host selects the plain protocol and never echoes the one with the key.
        Assert.Equal(how == "subprotocol" ? "streamdiffusion.v1" : null, socket.SubProtocol);
        return socket;
    }

    private static async Task<JsonElement> ConfigAsync(ClientWebSocket socket, object config)
    {
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(config), WebSocketMessageType.Text, true, CancellationToken.None);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[16 * 1024];
        var result = await socket.ReceiveAsync(buffer, guard.Token);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count)).RootElement.Clone();
    }

    private static async Task ReceiveCloseAsync(ClientWebSocket socket)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[16 * 1024];
        while ((await socket.ReceiveAsync(buffer, guard.Token)).MessageType != WebSocketMessageType.Close)
        {
        }
    }
}
