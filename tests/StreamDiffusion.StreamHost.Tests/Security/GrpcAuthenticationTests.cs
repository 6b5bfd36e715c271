using Grpc.Core;
using Grpc.Health.V1;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>API keys on the gRPC service, over real Kestrel on loopback.</summary>
public sealed class GrpcAuthenticationTests
{
    [Fact]
    public async Task A_missing_key_is_unauthenticated_on_every_rpc_and_says_how_to_send_one()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        var none = new CallOptions();

        var stream = await AuthTestKeys.RefusedAsync(host, none, Frames.RawConfig());
        Assert.Equal(StatusCode.Unauthenticated, stream.StatusCode);
        Assert.Contains("x-api-key", stream.Status.Detail, StringComparison.Ordinal);

        var generate = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GenerateAsync(new GenerateRequest { Prompt = "a" }, none));
        Assert.Equal(StatusCode.Unauthenticated, generate.StatusCode);
        var caps = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), none));
        Assert.Equal(StatusCode.Unauthenticated, caps.StatusCode);
        var models = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ListModelsAsync(new ListModelsRequest(), none));
        Assert.Equal(StatusCode.Unauthenticated, models.StatusCode);
        var video = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ControlVideoAsync(new VideoControlRequest { SessionId = "x", Prompt = "p" }, none));
        Assert.Equal(StatusCode.Unauthenticated, video.StatusCode);

        // Health stays open for Kubernetes probes and load balancers.
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("bearer")]
    public async Task A_wrong_key_is_unauthenticated_and_a_right_one_streams(string how)
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        var wrong = how == "bearer" ? AuthTestKeys.Bearer(StreamHost.Security.ApiKeyHash.NewKey()) : AuthTestKeys.ApiKey(StreamHost.Security.ApiKeyHash.NewKey());
        var refused = await AuthTestKeys.RefusedAsync(host, wrong, Frames.RawConfig());
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("not accepted", refused.Status.Detail, StringComparison.Ordinal);

        // A near miss (the right key with its last character changed) is no better.
        var near = AuthTestKeys.Open[..^1] + (AuthTestKeys.Open[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(StatusCode.Unauthenticated, (await AuthTestKeys.RefusedAsync(host, AuthTestKeys.ApiKey(near), Frames.RawConfig())).StatusCode);

        var right = how == "bearer" ? AuthTestKeys.Bearer(AuthTestKeys.Open) : AuthTestKeys.ApiKey(AuthTestKeys.Open);
        using var call = await AuthTestKeys.OpenAsync(host, right);
        var frame = Frames.Raw(8, 8, 1, 1);
        Assert.Equal(Frames.ExpectedEcho(frame), (await Frames.RoundTripAsync(call, frame)).Data.ToByteArray());
        await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.True((await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), right)).MaxSessions > 0);
    }

    [Fact]
    public async Task A_key_over_its_session_limit_is_resource_exhausted_across_rpcs_until_a_session_ends()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        var limited = AuthTestKeys.ApiKey(AuthTestKeys.Limited);
        using (var first = await AuthTestKeys.OpenAsync(host, limited))
        {
            var second = await AuthTestKeys.RefusedAsync(host, limited, Frames.RawConfig());
            Assert.Equal(StatusCode.ResourceExhausted, second.StatusCode);
            Assert.Contains("key 'limited'", second.Status.Detail, StringComparison.Ordinal);

            // Generate counts against the same limit.
            var generate = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GenerateAsync(
                new GenerateRequest { Prompt = "a", Width = 64, Height = 64 }, limited));
            Assert.Equal(StatusCode.ResourceExhausted, generate.StatusCode);

            // Another key is not affected.
            using var other = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Open));
            await Frames.CompleteAsync(other);

            var frame = Frames.Raw(8, 8, 1, 1);
            Assert.Equal(Frames.ExpectedEcho(frame), (await Frames.RoundTripAsync(first, frame)).Data.ToByteArray());
            await Frames.CompleteAsync(first);
        }

        await AuthTestKeys.WaitForNoKeySessionsAsync(host, "limited");
        using var again = await AuthTestKeys.OpenAsync(host, limited);
        await Frames.CompleteAsync(again);
    }

    [Fact]
    public async Task A_cancelled_stream_gives_its_key_slot_back()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        for (var i = 0; i < 5; i++)
        {
            using var cts = new CancellationTokenSource();
            using (var call = host.Client.Stream(AuthTestKeys.ApiKey(AuthTestKeys.Limited, cts.Token)))
            {
                await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
                await cts.CancelAsync();
            }

            await AuthTestKeys.WaitForNoKeySessionsAsync(host, "limited");
        }

        using var open = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Limited));
        await Frames.CompleteAsync(open);
    }

    [Fact]
    public async Task A_disallowed_model_is_permission_denied_naming_the_model()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        var refused = await AuthTestKeys.RefusedAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.OtherModel), Frames.RawConfig());
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.StartsWith("config.model: 'default' is not allowed for key 'other-model'", refused.Status.Detail, StringComparison.Ordinal);

        var generate = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GenerateAsync(
            new GenerateRequest { Prompt = "a", Model = "default" }, AuthTestKeys.ApiKey(AuthTestKeys.OtherModel)));
        Assert.Equal(StatusCode.PermissionDenied, generate.StatusCode);
        Assert.StartsWith("model:", generate.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_size_over_the_keys_maximum_is_permission_denied_naming_the_field()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        var limited = AuthTestKeys.ApiKey(AuthTestKeys.Limited);
        var wide = Frames.RawConfig();
        wide.Width = 320;
        var refused = await AuthTestKeys.RefusedAsync(host, limited, wide);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.StartsWith("config.width: 320 is over key 'limited''s maximum of 256", refused.Status.Detail, StringComparison.Ordinal);

        // 0x0 means the model's native 512x512, also over this key's maximum.
        var native = Frames.RawConfig();
        native.Width = 0;
        native.Height = 0;
        var nativeRefused = await AuthTestKeys.RefusedAsync(host, limited, native);
        Assert.Equal(StatusCode.PermissionDenied, nativeRefused.StatusCode);
        Assert.Contains("config.width: 512 (the model's native size)", nativeRefused.Status.Detail, StringComparison.Ordinal);

        // The same size is fine for a key without a maximum of its own, and within the maximum for this key.
        using var open = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Open), wide);
        await Frames.CompleteAsync(open);
        await AuthTestKeys.WaitForNoKeySessionsAsync(host, "limited");
        using var within = await AuthTestKeys.OpenAsync(host, limited, Frames.RawConfig(256));
        await Frames.CompleteAsync(within);
    }
}
