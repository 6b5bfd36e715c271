using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Tests.Diffusion;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>
/// /ws/stream over real Kestrel on loopback with <see cref="ClientWebSocket"/>: the session machinery of the gRPC
/// Stream call (admission, validation, drop-oldest queue, per-frame metadata), driven by JPEG frames of the shared
/// photos; the real diffusion pipeline on the synthetic pack where the output matters.
/// </summary>
public sealed class WebSocketStreamTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    private const int Size = 256;

    [Fact]
    public async Task A_websocket_session_answers_each_jpeg_frame_with_metadata_and_a_generated_jpeg()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        var started = await ws.StartAsync(new { type = "config", prompt = "a photo of an astronaut", width = Size, height = Size, quality = 85 });
        var id = started.GetProperty("session_id").GetString()!;
        Assert.Equal(12, id.Length);
        Assert.Equal("default", started.GetProperty("model").GetString());
        Assert.Equal(Size, started.GetProperty("width").GetInt32());
        Assert.Equal([32, 45], started.GetProperty("t_index_list").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("self", started.GetProperty("cfg_type").GetString());
        Assert.Equal("jpeg", started.GetProperty("output_encoding").GetString());
        Assert.Equal($"/sessions/{id}/mjpeg", started.GetProperty("mjpeg_url").GetString());

        var inputs = WebTestData.Jpegs(320).Concat([WebTestData.RocketJpeg]).ToList();
        var outputs = new List<byte[]>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var (meta, image) = await ws.RoundTripAsync(inputs[i]);
            Assert.Equal("frame", meta.GetProperty("type").GetString());
            Assert.Equal(i + 1, meta.GetProperty("sequence").GetInt32());
            Assert.False(meta.TryGetProperty("error", out _), meta.ToString());
            Assert.False(meta.GetProperty("dropped").GetBoolean());
            Assert.Equal("jpeg", meta.GetProperty("format").GetString());
            Assert.Equal(Size, meta.GetProperty("width").GetInt32());
            var timings = meta.GetProperty("timings");
            Assert.True(timings.GetProperty("denoise_ms").GetDouble() > 0);
            Assert.True(timings.GetProperty("total_ms").GetDouble() >= timings.GetProperty("queue_ms").GetDouble());
            Assert.NotNull(image);
            var (luma, width, height) = WebTestData.Luma(image);
            Assert.Equal((Size, Size), (width, height));
            outputs.Add(luma);
        }

        // Different photos in, different generated frames out (past the Stream Batch warm-up of the first frames).
        var difference = WebTestData.MeanAbsoluteDifference(outputs[2], outputs[3]);
        Assert.True(difference > 2, $"mean abs difference {difference:F2}");

        // A client close ends the session normally, after the final stats.
        var rest = await ws.CloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.Socket.CloseStatus);
        var final = Assert.Single(rest, m => m.GetProperty("type").GetString() == "stats" && m.GetProperty("final").GetBoolean());
        Assert.Equal((ulong)inputs.Count, final.GetProperty("frames_in").GetUInt64());
        Assert.Equal((ulong)inputs.Count, final.GetProperty("frames_out").GetUInt64());
        Assert.Equal(id, final.GetProperty("session_id").GetString());
    }

    [Fact]
    public async Task A_control_message_changes_the_prompt_between_frames()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { prompt = "a red fire", similarity_filter = new { enabled = false } });
        var frame = WebTestData.Jpegs(Size)[0];
        var before = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            before.Add(WebTestData.Luma((await ws.RoundTripAsync(frame)).Image!).Luma);
        }

        await ws.SendJsonAsync(new { type = "control", prompt = "a calm blue ocean at night" });
        var after = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            after.Add(WebTestData.Luma((await ws.RoundTripAsync(frame)).Image!).Luma);
        }

        await ws.CloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.Socket.CloseStatus);
        Assert.True(WebTestData.MeanAbsoluteDifference(before[3], before[2]) < 1, "a static input under a fixed prompt gives a steady frame");
        Assert.True(WebTestData.MeanAbsoluteDifference(after[3], before[3]) > 2, "the new prompt must show in the frames after the change");
    }

    [Fact]
    public async Task Control_messages_reach_the_processor_as_validated_settings_before_the_next_frame()
    {
        var recording = new RecordingProcessorFactory();
        await using var host = await LoopbackHost.StartAsync(services => services.AddSingleton<IStreamProcessorFactory>(recording));
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { prompt = "first", width = 64, height = 64, t_index_list = new[] { 20, 40 } });
        var jpeg = WebTestData.Jpegs(64)[0];
        await ws.RoundTripAsync(jpeg);
        await ws.SendTextAsync("""{"type":"control","prompt":"second","guidance_scale":2.5,"t_index_list":{"values":[10]},"seed":7}""");
        await ws.RoundTripAsync(jpeg);
        await ws.CloseAsync();

        Assert.Equal(["first", "second"], recording.FramePrompts);
        var last = recording.Last!;
        Assert.Equal(2.5f, last.GuidanceScale);
        Assert.Equal([10], last.TIndexList);
        Assert.Equal(7, last.Seed);
    }

    [Theory]
    [InlineData("""{"width":100}""", "config.width")]
    [InlineData("""{"t_index_list":[45,32]}""", "config.t_index_list")]
    [InlineData("""{"guidance_scale":99}""", "config.guidance_scale")]
    [InlineData("""{"cfg_type":"sideways"}""", "config")]
    [InlineData("""{"prompt":"x","colour":"red"}""", "config")]
    [InlineData("""{"type":"control","prompt":"x"}""", "config.type")]
    [InlineData("""not json""", "config")]
    [InlineData("""{"model":"no-such-model"}""", "model 'no-such-model'")]
    public async Task An_invalid_config_gets_an_error_message_and_a_policy_violation_close(string config, string expected)
    {
        await using var host = await LoopbackHost.StartAsync();
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.SendTextAsync(config);
        var messages = await ws.ReadToCloseAsync();

        var error = Assert.Single(messages);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(config.Contains("no-such-model", StringComparison.Ordinal) ? "NOT_FOUND" : "INVALID_ARGUMENT", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ws.Socket.CloseStatus);
        Assert.StartsWith(expected, ws.Socket.CloseStatusDescription, StringComparison.Ordinal);
        Assert.Equal(0, host.App.Services.GetRequiredService<SessionRegistry>().ActiveCount);
    }

    [Fact]
    public async Task A_frame_before_the_config_is_refused_with_failed_precondition()
    {
        await using var host = await LoopbackHost.StartAsync();
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.SendBinaryAsync(WebTestData.RocketJpeg);
        var error = Assert.Single(await ws.ReadToCloseAsync());
        Assert.Equal("FAILED_PRECONDITION", error.GetProperty("code").GetString());
        Assert.Contains("SessionConfig", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ws.Socket.CloseStatus);
    }

    [Fact]
    public async Task An_invalid_frame_fails_alone_and_the_session_goes_on()
    {
        await using var host = await LoopbackHost.StartAsync();
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { width = 64, height = 64 });
        var (bad, badImage) = await ws.RoundTripAsync([1, 2, 3, 4, 5]);
        Assert.Null(badImage);
        Assert.Equal(0, bad.GetProperty("bytes").GetInt32());
        Assert.Equal("INVALID_ARGUMENT", bad.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("not a JPEG", bad.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        // The echo processor returns a JPEG input byte for byte.
        var jpeg = WebTestData.Jpegs(64)[1];
        var (good, image) = await ws.RoundTripAsync(jpeg);
        Assert.Equal(2, good.GetProperty("sequence").GetInt32());
        Assert.Equal(jpeg, image);
        await ws.CloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.Socket.CloseStatus);
    }

    [Fact]
    public async Task An_invalid_control_message_ends_the_session_with_the_field_named()
    {
        await using var host = await LoopbackHost.StartAsync();
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { width = 64, height = 64 });
        await ws.SendJsonAsync(new { guidance_scale = -1 });
        var messages = await ws.ReadToCloseAsync();
        var error = messages.Last();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.StartsWith("control.guidance_scale", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ws.Socket.CloseStatus);
    }

    [Fact]
    public async Task A_full_host_refuses_websocket_sessions_with_1013_and_websocket_sessions_count_against_grpc_capacity()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=1");

        // A gRPC session holds the only slot: the WebSocket session is refused.
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        await using (var ws = await WsClient.ConnectAsync(host.HttpAddress))
        {
            await ws.SendJsonAsync(new { width = 64, height = 64 });
            var error = Assert.Single(await ws.ReadToCloseAsync());
            Assert.Equal("RESOURCE_EXHAUSTED", error.GetProperty("code").GetString());
            Assert.Contains("capacity", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal((WebSocketCloseStatus)1013, ws.Socket.CloseStatus);
            Assert.Contains("capacity", ws.Socket.CloseStatusDescription, StringComparison.Ordinal);
        }

        await Frames.CompleteAsync(call);
        call.Dispose();

        // Now a WebSocket session holds it: a gRPC session is refused.
        await using var holder = await WsClient.ConnectAsync(host.HttpAddress);
        await holder.StartAsync(new { width = 64, height = 64 });
        var refused = await Assert.ThrowsAsync<RpcException>(() => Frames.OpenAsync(host.Client, Frames.RawConfig()));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal(2, host.Metrics.SessionsRejected.WithLabels("capacity").Value);
        await holder.CloseAsync();
    }

    [Fact]
    public async Task Frames_arriving_while_the_session_is_busy_drop_oldest_and_every_frame_is_answered_in_order()
    {
        var gated = new GatedProcessorFactory();
        await using var host = await LoopbackHost.StartAsync(
            services => services.AddSingleton<IStreamProcessorFactory>(gated), "Capacity:InputQueueCapacity=2");
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { width = 64, height = 64 });
        var jpegs = WebTestData.Jpegs(64);
        var sent = Enumerable.Range(0, 6).Select(i => jpegs[i % jpegs.Count]).ToList();
        await ws.SendBinaryAsync(sent[0]);
        await gated.Entered.WaitAsync();
        foreach (var frame in sent.Skip(1))
        {
            await ws.SendBinaryAsync(frame);
        }

        while (host.Metrics.FramesIn.Value < 6)
        {
            await Task.Delay(10);
        }

        gated.Gate.Release(6);
        var answers = new List<(JsonElement Meta, byte[]? Image)>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await ws.ReceiveFrameAsync())!.Value);
        }

        Assert.Equal([1, 2, 3, 4, 5, 6], answers.Select(a => a.Meta.GetProperty("sequence").GetInt32()));
        Assert.Equal([false, true, true, true, false, false], answers.Select(a => a.Meta.GetProperty("dropped").GetBoolean()));
        Assert.Equal(sent[0], answers[0].Image);
        Assert.Equal(sent[5], answers[5].Image);
        Assert.All(answers.Where(a => a.Meta.GetProperty("dropped").GetBoolean()), a => Assert.Null(a.Image));
        await ws.CloseAsync();
        Assert.Equal(3, host.Metrics.FramesDropped.Value);
    }

    [Fact]
    public async Task A_message_over_the_frame_limit_closes_with_message_too_big()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxFrameBytes=100000");
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.StartAsync(new { width = 64, height = 64 });
        var huge = new byte[400_000];
        huge[0] = 0xFF;
        huge[1] = 0xD8;
        huge[2] = 0xFF;
        await ws.SendBinaryAsync(huge);
        var error = (await ws.ReadToCloseAsync()).Last();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.StartsWith("message:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, ws.Socket.CloseStatus);
    }

    [Fact]
    public async Task A_plain_http_request_to_the_websocket_endpoint_gets_400()
    {
        await using var host = await LoopbackHost.StartAsync();
        var response = await host.Http.GetAsync(new Uri("/ws/stream", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
