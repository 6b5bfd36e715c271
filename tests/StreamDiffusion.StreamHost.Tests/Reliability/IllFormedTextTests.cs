using System.Net.WebSockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Tests.Web;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

/// <summary>
/// Lone UTF-16 surrogates in prompts, as a JavaScript client sends them (protobufjs writes such a surrogate as the
/// three bytes ED A0 80; a JSON text carries it as "\ud800").
/// </summary>
public sealed class IllFormedTextTests
{
    private const string Placeholder = "PLACEHOLDER-";

    // Lone surrogate U+D800 as protobufjs encodes it, padded to the placeholder's length.
    private static readonly byte[] s_loneSurrogate = [(byte)'a', 0xED, 0xA0, 0x80, .. "bcdefgh"u8];

    private static readonly Marshaller<byte[]> s_raw = Marshallers.Create(b => b, b => b);

    private static readonly Method<byte[], StreamResponse> s_stream = new(MethodType.DuplexStreaming,
        "streamdiffusion.v1.StreamDiffusion", "Stream", s_raw, Marshallers.Create(m => m.ToByteArray(), StreamResponse.Parser.ParseFrom));

    private static readonly Method<byte[], GenerateResponse> s_generate = new(MethodType.Unary,
        "streamdiffusion.v1.StreamDiffusion", "Generate", s_raw, Marshallers.Create(m => m.ToByteArray(), GenerateResponse.Parser.ParseFrom));

    [Theory]
    [InlineData("config.prompt")]
    [InlineData("config.negative_prompt")]
    [InlineData("config.prompts[1].text")]
    public async Task A_lone_surrogate_in_the_config_is_invalid_argument_naming_the_field(string field)
    {
        await using var host = await LoopbackHost.StartAsync();
        var config = Frames.RawConfig();
        config.Prompt = string.Empty;
        switch (field)
        {
            case "config.prompt":
                config.Prompt = Placeholder;
                break;
            case "config.negative_prompt":
                config.Prompt = "fine";
                config.NegativePrompt = Placeholder;
                break;
            default:
                config.Prompts.Add(new WeightedPrompt { Text = "fine", Weight = 1 });
                config.Prompts.Add(new WeightedPrompt { Text = Placeholder, Weight = 1 });
                break;
        }

        using var call = host.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(s_stream, null, default);
        await call.RequestStream.WriteAsync(WithLoneSurrogate(Frames.Config(config)));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + ": not well-formed Unicode", ex.Status.Detail, StringComparison.Ordinal);
        await AssertStillServingAsync(host);
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_control_update_is_invalid_argument_naming_the_field()
    {
        await using var host = await LoopbackHost.StartAsync();
        using var call = host.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(s_stream, null, default);
        await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()).ToByteArray());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await call.RequestStream.WriteAsync(WithLoneSurrogate(new StreamRequest { Control = new ControlUpdate { NegativePrompt = Placeholder } }));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("control.negative_prompt: not well-formed Unicode", ex.Status.Detail, StringComparison.Ordinal);
        await AssertStillServingAsync(host);
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_generate_request_is_invalid_argument_naming_the_field()
    {
        await using var host = await LoopbackHost.StartAsync();
        var request = new GenerateRequest { Prompt = Placeholder, Width = 64, Height = 64 };
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            host.Channel.CreateCallInvoker().AsyncUnaryCall(s_generate, null, default, WithLoneSurrogate(request)).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("prompt: not well-formed Unicode", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lone_surrogate_over_the_websocket_is_a_policy_violation_naming_the_field()
    {
        await using var host = await LoopbackHost.StartAsync();
        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        await ws.SendTextAsync("""{"prompt":"a \ud800 b","width":64,"height":64}""");
        var error = Assert.Single(await ws.ReadToCloseAsync());
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("code").GetString());
        Assert.StartsWith("config.prompt: not well-formed Unicode", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, ws.Socket.CloseStatus);

        await using var second = await WsClient.ConnectAsync(host.HttpAddress);
        await second.StartAsync(new { prompt = "fine", width = 64, height = 64 });
        await second.SendTextAsync("""{"prompt":"b \udc00"}""");
        var control = Assert.Single(await second.ReadToCloseAsync());
        Assert.StartsWith("control.prompt: not well-formed Unicode", control.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, second.Socket.CloseStatus);
    }

    /// <summary>The message's bytes with the placeholder string replaced by a lone surrogate (same length).</summary>
    private static byte[] WithLoneSurrogate(IMessage message)
    {
        var bytes = message.ToByteArray();
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Placeholder));
        Assert.True(at >= 0);
        s_loneSurrogate.CopyTo(bytes, at);
        return bytes;
    }

    private static async Task AssertStillServingAsync(LoopbackHost host)
    {
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (call)
        {
            Assert.Null((await Frames.RoundTripAsync(call, Frames.Raw(8, 8, 1, 1))).Error);
            await Frames.CompleteAsync(call);
        }
    }
}
