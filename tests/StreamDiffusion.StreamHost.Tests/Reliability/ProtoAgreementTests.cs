using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

/// <summary>The host does what the .proto says.</summary>
public sealed class ProtoAgreementTests
{
    [Theory]
    [InlineData(12, null, "width: 12 is not allowed")]
    [InlineData(64, 50f, "guidance_scale: 50 is outside 0..20")]
    public async Task Generate_errors_name_the_fields_of_GenerateRequest(int width, float? guidance, string expected)
    {
        await using var host = await LoopbackHost.StartAsync();
        var request = new GenerateRequest { Prompt = "x", Width = width, Height = 64 };
        if (guidance is { } g)
        {
            request.GuidanceScale = g;
        }

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GenerateAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(expected, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Both_prompt_and_prompts_are_invalid_argument_as_the_proto_says()
    {
        await using var host = await LoopbackHost.StartAsync();
        var config = Frames.RawConfig();
        config.Prompts.Add(new WeightedPrompt { Text = "y", Weight = 1 });
        using var call = host.Client.Stream();
        await call.RequestStream.WriteAsync(Frames.Config(config));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("config.prompts:", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("both set is INVALID_ARGUMENT", File.ReadAllText(ProtoPath("session.proto")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_jpeg_source_larger_than_max_width_but_within_the_decoder_limit_is_accepted_as_the_proto_says()
    {
        await using var host = await LoopbackHost.StartAsync();
        var caps = await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest());
        Assert.Equal(1024, caps.MaxWidth);
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (call)
        {
            var jpeg = ByteString.CopyFrom([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
            var fullHd = await Frames.RoundTripAsync(call, new InputFrame { Data = jpeg, Format = FrameFormat.Jpeg, Width = 1920, Height = 1080, Sequence = 1 });
            Assert.Null(fullHd.Error);
            var tooBig = await Frames.RoundTripAsync(call, new InputFrame { Data = jpeg, Format = FrameFormat.Jpeg, Width = 4096, Height = 1080, Sequence = 2 });
            Assert.Equal((int)StatusCode.InvalidArgument, tooBig.Error.Code);
            Assert.StartsWith("frame.width: 4096 is outside 0..2048", tooBig.Error.Message, StringComparison.Ordinal);
        }
    }

    private static string ProtoPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        return Path.Combine(dir.FullName, "src", "Protos", "streamdiffusion", "v1", name);
    }
}
