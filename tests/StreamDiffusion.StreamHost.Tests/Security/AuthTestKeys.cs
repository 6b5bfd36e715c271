using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Security;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>
/// Keys made for one test run and the host settings that store their hashes: "limited" (1 session, 256x256 at
/// most), "open" (no limits of its own) and "other-model" (may only use a model the host does not serve).
/// </summary>
internal static class AuthTestKeys
{
    public static readonly string Limited = ApiKeyHash.NewKey();

    public static readonly string Open = ApiKeyHash.NewKey();

    public static readonly string OtherModel = ApiKeyHash.NewKey();

    public static string[] Settings =>
    [
        "Auth:Keys:0:Name=limited",
        "Auth:Keys:0:Sha256=" + ApiKeyHash.Hash(Limited),
        "Auth:Keys:0:MaxSessions=1",
        "Auth:Keys:0:MaxWidth=256",
        "Auth:Keys:0:MaxHeight=256",
        "Auth:Keys:0:MaxFps=5",
        "Auth:Keys:1:Name=open",
        "Auth:Keys:1:Sha256=" + ApiKeyHash.Hash(Open),
        "Auth:Keys:2:Name=other-model",
        "Auth:Keys:2:Sha256=" + ApiKeyHash.Hash(OtherModel),
        "Auth:Keys:2:AllowedModels:0=other",
    ];

    /// <summary>A host with the keys configured (echo processor), plus <paramref name="extra"/> settings.</summary>
    public static Task<LoopbackHost> StartHostAsync(params string[] extra) =>
        LoopbackHost.StartAsync(null, [.. Settings, .. extra]);

    /// <summary>Call options sending <paramref name="key"/> as <c>x-api-key</c>.</summary>
    public static CallOptions ApiKey(string key, CancellationToken cancellationToken = default) =>
        new(new Metadata { { "x-api-key", key } }, cancellationToken: cancellationToken);

    /// <summary>Call options sending <paramref name="credential"/> as <c>authorization: Bearer</c>.</summary>
    public static CallOptions Bearer(string credential, CancellationToken cancellationToken = default) =>
        new(new Metadata { { "authorization", "Bearer " + credential } }, cancellationToken: cancellationToken);

    /// <summary>Opens a Stream with <paramref name="options"/> and waits for SessionStarted.</summary>
    public static async Task<AsyncDuplexStreamingCall<StreamRequest, StreamResponse>> OpenAsync(LoopbackHost host, CallOptions options, SessionConfig? config = null)
    {
        var call = host.Client.Stream(options);
        await call.RequestStream.WriteAsync(Frames.Config(config ?? Frames.RawConfig()));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StreamResponse.PayloadOneofCase.Started, call.ResponseStream.Current.PayloadCase);
        return call;
    }

    /// <summary>Sends a config and returns the status the stream fails with.</summary>
    public static async Task<RpcException> RefusedAsync(LoopbackHost host, CallOptions options, SessionConfig config)
    {
        using var call = host.Client.Stream(options);

        // A refusal before the host reads the body can reach the client while it is still writing the config.
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(Frames.Config(config));
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    /// <summary>Waits until no key holds a session (a cancelled call gives its slot back asynchronously).</summary>
    public static async Task WaitForNoKeySessionsAsync(LoopbackHost host, string name)
    {
        var counter = host.App.Services.GetRequiredService<KeySessionCounter>();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (counter.Running(name) > 0)
        {
            await Task.Delay(10, guard.Token);
        }
    }
}
