using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Tests.Diffusion;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>/ws/video (GenerateVideo + ControlVideo for the web page) on loopback, on the synthetic image pack.</summary>
public sealed class WebSocketVideoTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    private const string Fox = "a red fox running through snow";
    private const string Ocean = "a deep blue ocean at night";

    private static string Request(string extra = "", int partitions = 2) =>
        $$"""{"type":"request","prompts":[{"start_frame":0,"text":"{{Fox}}"}],"width":64,"height":64,"num_partitions":{{partitions}},"coherent_tail":true{{extra}}}""";

    private static async Task<JsonElement> NextOfTypeAsync(WsClient client, string type, List<JsonElement>? frames = null)
    {
        while (true)
        {
            var (kind, data) = await client.ReceiveAsync();
            Assert.True(kind != WebSocketMessageType.Close, $"closed: {client.Socket.CloseStatus} {client.Socket.CloseStatusDescription}");
            if (kind == WebSocketMessageType.Binary)
            {
                continue;
            }

            var message = JsonDocument.Parse(data).RootElement.Clone();
            if (message.GetProperty("type").GetString() == type)
            {
                return message;
            }

            frames?.Add(message);
        }
    }

    /// <summary>Reads to the server's close and completes the close handshake (so the server is not left waiting for it).</summary>
    private static async Task<List<JsonElement>> ReadToCloseAndAnswerAsync(WsClient client)
    {
        var messages = await client.ReadToCloseAsync();
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        return messages;
    }

    [Fact]
    public async Task Frames_stream_in_order_with_their_images_and_closing_the_socket_stops_the_video_and_frees_the_slot()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var registry = host.App.Services.GetRequiredService<SessionRegistry>();
        await using var client = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await client.SendTextAsync(Request());

        string? id = null;
        for (ulong i = 0; i < 6; i++)
        {
            var frame = await client.ReceiveFrameAsync();
            Assert.NotNull(frame);
            var (meta, image) = frame.Value;
            Assert.Equal(i, meta.GetProperty("index").GetUInt64());
            Assert.Equal(Fox, meta.GetProperty("prompt").GetString());
            Assert.Equal("jpeg", meta.GetProperty("format").GetString());
            id ??= meta.GetProperty("session_id").GetString();
            Assert.Equal(id, meta.GetProperty("session_id").GetString());
            Assert.Equal($"/sessions/{id}/mjpeg", meta.GetProperty("mjpeg_url").GetString());
            using var decoded = Cv2.ImDecode(image!, ImreadModes.Color);
            Assert.Equal(64, decoded.Width);
        }

        Assert.Equal(1, registry.ActiveCount);
        var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        Assert.Contains(list.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == id && s.GetProperty("mode").GetString() == "text_to_video");

        // Stop: the client closes; the server answers the close and gives the slot back.
        await client.CloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (registry.ActiveCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, registry.ActiveCount);
        var mjpeg = await host.Http.GetAsync(new Uri($"/sessions/{id}/mjpeg", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, mjpeg.StatusCode);
    }

    [Fact]
    public async Task A_prompt_change_is_acknowledged_and_reaches_the_frames_within_the_queue_length()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        await using var client = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await client.SendTextAsync(Request());
        Assert.NotNull(await client.ReceiveFrameAsync());

        await client.SendTextAsync($$"""{"type":"control","prompt":"{{Ocean}}"}""");
        var frames = new List<JsonElement>();
        var control = await NextOfTypeAsync(client, "control", frames);
        var from = control.GetProperty("applies_from_frame").GetUInt64();
        var arrival = control.GetProperty("arrival_frames").GetUInt32();
        Assert.Equal(16u, arrival);

        ulong? arrived = null;
        while (arrived is null)
        {
            var (meta, _) = (await client.ReceiveFrameAsync())!.Value;
            var index = meta.GetProperty("index").GetUInt64();
            Assert.True(index <= from + arrival, $"frame {index} still shows the old prompt");
            if (meta.GetProperty("prompt").GetString() == Ocean)
            {
                arrived = index;
            }
        }

        await client.CloseAsync();
    }

    [Fact]
    public async Task A_bad_prompt_change_is_refused_naming_the_field_and_the_video_goes_on()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        await using var client = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await client.SendTextAsync(Request());
        Assert.NotNull(await client.ReceiveFrameAsync());

        async Task Refused(string message, string code, string field)
        {
            await client.SendTextAsync(message);
            var error = await NextOfTypeAsync(client, "control_error");
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.StartsWith(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        await Refused("""{"type":"control","prompt":"  "}""", "INVALID_ARGUMENT", "prompt");
        await Refused("""{"type":"control","prompt":"x","session_id":"someone-else"}""", "INVALID_ARGUMENT", "control.session_id");
        await Refused("""{"type":"control","promt":"x"}""", "INVALID_ARGUMENT", "control");
        await Refused("not json", "INVALID_ARGUMENT", "control: not valid JSON");
        await client.SendBinaryAsync([1, 2, 3]);
        var binary = await NextOfTypeAsync(client, "control_error");
        Assert.StartsWith("control: binary", binary.GetProperty("message").GetString(), StringComparison.Ordinal);
        await client.SendTextAsync("{\"type\":\"control\",\"prompt\":\"" + new string('x', 70 * 1024) + "\"}");
        var big = await NextOfTypeAsync(client, "control_error");
        Assert.StartsWith("message: more than", big.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Still running.
        Assert.NotNull(await client.ReceiveFrameAsync());
        Assert.NotNull(await client.ReceiveFrameAsync());
        await client.CloseAsync();
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { """{"prompts":[]}""", "INVALID_ARGUMENT", "prompts" },
        { """{"prompts":[{"start_frame":3,"text":"a"}]}""", "INVALID_ARGUMENT", "prompts[0].start_frame" },
        { Request(partitions: 0), "INVALID_ARGUMENT", "num_partitions" },
        { Request(partitions: -1), "INVALID_ARGUMENT", "num_partitions" },
        { Request(partitions: 100000), "INVALID_ARGUMENT", "num_partitions" },
        { """{"prompts":[{"start_frame":0,"text":"a"}],"width":100,"height":64}""", "INVALID_ARGUMENT", "width" },
        { Request(",\"sampler\":\"lcm\",\"subject_guidance\":true,\"subject_guidance_step\":2"), "INVALID_ARGUMENT", "subject_guidance_step" },
        { Request(",\"sampler\":\"euler\""), "INVALID_ARGUMENT", "request: " },
        { Request(",\"model\":\"no-such-model\""), "NOT_FOUND", "model 'no-such-model'" },
        { "[1,2]", "INVALID_ARGUMENT", "request: must be a JSON object" },
        { """{"type":"control","prompt":"a"}""", "INVALID_ARGUMENT", "request.type" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_an_error_naming_the_field_then_close_1008(string request, string code, string field)
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        await using var client = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await client.SendTextAsync(request);

        var messages = await ReadToCloseAndAnswerAsync(client);

        var error = Assert.Single(messages);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.True(code == error.GetProperty("code").GetString(), error.ToString());
        Assert.StartsWith(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.Socket.CloseStatus);
        Assert.Equal(0, host.App.Services.GetRequiredService<SessionRegistry>().ActiveCount);
    }

    [Fact]
    public async Task A_binary_first_message_is_refused()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        await using var client = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await client.SendBinaryAsync(Encoding.UTF8.GetBytes(Request()));

        var error = Assert.Single(await ReadToCloseAndAnswerAsync(client));
        Assert.StartsWith("request: the first message must be", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.Socket.CloseStatus);
    }

    [Fact]
    public async Task A_finite_video_ends_with_an_end_message_and_a_normal_close_and_capacity_is_honoured()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings("Limits:MaxSessions=1"));
        await using var first = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await first.SendTextAsync(Request(",\"num_frames\":20"));
        Assert.NotNull(await first.ReceiveFrameAsync());

        // The host is full: a second video is refused with "try again later".
        await using (var second = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video"))
        {
            await second.SendTextAsync(Request());
            var refused = Assert.Single(await ReadToCloseAndAnswerAsync(second));
            Assert.Equal("RESOURCE_EXHAUSTED", refused.GetProperty("code").GetString());
            Assert.Equal(WebSocketStreamEndpoint.TryAgainLater, second.Socket.CloseStatus);
        }

        var frames = 1;
        JsonElement end;
        while (true)
        {
            var (type, data) = await first.ReceiveAsync();
            Assert.NotEqual(WebSocketMessageType.Close, type);
            if (type == WebSocketMessageType.Binary)
            {
                continue;
            }

            var message = JsonDocument.Parse(data).RootElement.Clone();
            if (message.GetProperty("type").GetString() == "end")
            {
                end = message;
                break;
            }

            Assert.Equal((ulong)frames++, message.GetProperty("index").GetUInt64());
        }

        Assert.Equal(20, frames);
        Assert.Equal(20, end.GetProperty("frames").GetInt32());
        Assert.Empty(await ReadToCloseAndAnswerAsync(first));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, first.Socket.CloseStatus);
    }

    [Fact]
    public async Task A_video_still_running_at_the_drain_deadline_ends_with_unavailable_and_1001()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings("Capacity:DrainTimeout=00:00:00.2"));
        await using var client = await WsClient.ConnectAsync(host.HttpAddress, "/ws/video");
        await client.SendTextAsync(Request());
        Assert.NotNull(await client.ReceiveFrameAsync());

        var stopping = host.StopAsync();
        var error = await NextOfTypeAsync(client, "error");
        Assert.Equal("UNAVAILABLE", error.GetProperty("code").GetString());
        Assert.Contains("shutting down", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await ReadToCloseAndAnswerAsync(client);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.Socket.CloseStatus);
        await stopping;
    }
}
