using System.Net;
using System.Net.WebSockets;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Security;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>
/// Rejected keys are limited per client address (Auth:MaxFailedAttempts per Auth:FailedAttemptWindow), over real
/// Kestrel on loopback: past the limit every credentialed request from the address is refused, right keys too,
/// on gRPC (RESOURCE_EXHAUSTED) and HTTP (429, Retry-After), until the window ends; 0 turns the limit off.
/// </summary>
public sealed class FailedCredentialTests
{
    [Fact]
    public async Task Past_the_limit_an_address_is_refused_even_with_a_right_key_until_its_window_ends()
    {
        await using var host = await AuthTestKeys.StartHostAsync("Auth:MaxFailedAttempts=3", "Auth:FailedAttemptWindow=00:00:02");
        var wrong = AuthTestKeys.ApiKey(ApiKeyHash.NewKey());
        var right = AuthTestKeys.ApiKey(AuthTestKeys.Open);
        for (var i = 0; i < 3; i++)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), wrong));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        var blocked = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), right));
        Assert.Equal(StatusCode.ResourceExhausted, blocked.StatusCode);
        Assert.Contains("too many rejected keys or tokens from this address", blocked.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, (await AuthTestKeys.RefusedAsync(host, right, Frames.RawConfig())).StatusCode);

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/models"))
        {
            request.Headers.Add("x-api-key", AuthTestKeys.Open);
            using var response = await host.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
        }

        using (var socket = new ClientWebSocket())
        {
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.AddSubProtocol(PresentedCredential.WebSocketProtocol);
            socket.Options.AddSubProtocol(PresentedCredential.ProtocolKeyPrefix + AuthTestKeys.Open);
            var address = new UriBuilder(host.HttpAddress) { Scheme = "ws", Path = "/ws/stream" }.Uri;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(address, CancellationToken.None));
            Assert.Equal(HttpStatusCode.TooManyRequests, socket.HttpStatusCode);
        }

        // A request without a credential still gets the usual challenge.
        using (var anonymous = await host.Http.GetAsync(new Uri("/models", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // The window ends: the right key works again.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                Assert.True((await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), right)).MaxSessions > 0);
                break;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                await Task.Delay(100, guard.Token);
            }
        }

        using var call = await AuthTestKeys.OpenAsync(host, right);
        await Frames.CompleteAsync(call);
    }

    [Fact]
    public async Task Zero_turns_the_limit_off()
    {
        await using var host = await AuthTestKeys.StartHostAsync("Auth:MaxFailedAttempts=0");
        var wrong = AuthTestKeys.ApiKey(ApiKeyHash.NewKey());
        for (var i = 0; i < 30; i++)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), wrong));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        Assert.True((await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), AuthTestKeys.ApiKey(AuthTestKeys.Open))).MaxSessions > 0);
    }
}
