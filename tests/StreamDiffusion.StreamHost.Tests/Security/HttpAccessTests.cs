using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Security;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>The HTTP side with auth on: what is open, what needs a key, and signed MJPEG URLs.</summary>
public sealed class HttpAccessTests
{
    [Fact]
    public async Task The_http_api_needs_a_key_while_the_page_health_and_metrics_stay_open()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        foreach (var path in new[] { "/sessions", "/models", "/broadcasts", "/sessions/0123456789ab/mjpeg" })
        {
            using var response = await host.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {response.StatusCode}");
            Assert.Contains("x-api-key", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }

        using (var put = await host.Http.PutAsync(new Uri("/broadcasts/k1", UriKind.Relative), new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        }

        foreach (var path in new[] { "/", "/app.js", "/healthz", "/metrics" })
        {
            using var response = await host.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }

        foreach (var key in new[] { AuthTestKeys.Open, AuthTestKeys.Limited })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/models");
            request.Headers.Add("x-api-key", key);
            using var response = await host.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/sessions");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AuthTestKeys.Open);
        using var listed = await host.Http.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/sessions");
        wrong.Headers.Add("x-api-key", ApiKeyHash.NewKey());
        using var refused = await host.Http.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("not accepted", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Claiming to be gRPC does not get an HTTP request past the gate.
        using var grpcLike = new HttpRequestMessage(HttpMethod.Get, "/sessions") { Content = new ByteArrayContent([]) };
        grpcLike.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var notGrpc = await host.Http.SendAsync(grpcLike);
        Assert.Equal(HttpStatusCode.Unauthorized, notGrpc.StatusCode);

        // The WebSocket query form is for WebSocket upgrades only: an ordinary request cannot use it.
        using var query = await host.Http.GetAsync(new Uri("/sessions?access_token=" + AuthTestKeys.Open, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);
    }

    [Fact]
    public async Task Metrics_need_a_key_when_configured_so_and_health_never_does()
    {
        await using var host = await AuthTestKeys.StartHostAsync("Auth:ProtectMetrics=true");
        using var metrics = await host.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        using var health = await host.Http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("x-api-key", AuthTestKeys.Open);
        using var withKey = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
    }

    [Fact]
    public async Task Sessions_lists_signed_mjpeg_urls_that_open_without_a_key_and_fail_403_when_altered_or_expired()
    {
        await using var host = await AuthTestKeys.StartHostAsync();
        using var call = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Open));
        await Frames.RoundTripAsync(call, Frames.Raw(8, 8, 1, 1));

        using var list = new HttpRequestMessage(HttpMethod.Get, "/sessions");
        list.Headers.Add("x-api-key", AuthTestKeys.Open);
        using var listed = await host.Http.SendAsync(list);
        var session = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("sessions")[0];
        var id = session.GetProperty("id").GetString()!;
        var signed = session.GetProperty("mjpeg_url").GetString()!;
        Assert.StartsWith($"/sessions/{id}/mjpeg?expires=", signed, StringComparison.Ordinal);
        Assert.Contains("&sig=", signed, StringComparison.Ordinal);

        using (var viewer = await host.Http.GetAsync(new Uri(signed, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);
            Assert.StartsWith("multipart/x-mixed-replace", viewer.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        }

        var unsigned = $"/sessions/{id}/mjpeg";
        using (var noKey = await host.Http.GetAsync(new Uri(unsigned, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        }

        // Another expiry, another session's path, or a changed signature: each 403.
        var expires = signed[(signed.IndexOf("expires=", StringComparison.Ordinal) + 8)..signed.IndexOf('&', StringComparison.Ordinal)];
        var later = signed.Replace("expires=" + expires, "expires=" + (long.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) + 3600), StringComparison.Ordinal);
        var otherPath = signed.Replace(id, "0123456789ab", StringComparison.Ordinal);
        var sig = signed[(signed.IndexOf("sig=", StringComparison.Ordinal) + 4)..];
        var otherSig = signed.Replace("sig=" + sig, "sig=" + (sig[0] == 'A' ? 'B' : 'A') + sig[1..], StringComparison.Ordinal);
        foreach (var tampered in new[] { later, otherPath, otherSig, unsigned + "?expires=" + expires })
        {
            using var response = await host.Http.GetAsync(new Uri(tampered, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{tampered}: {response.StatusCode}");
            Assert.Contains("signature does not match", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var expired = host.App.Services.GetRequiredService<MjpegUrlSigner>().Sign(unsigned, DateTimeOffset.UtcNow.AddSeconds(-1));
        using (var response = await host.Http.GetAsync(new Uri(expired, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await Frames.CompleteAsync(call);
    }

    [Fact]
    public async Task Without_keys_the_loopback_host_is_open_and_lists_plain_mjpeg_urls()
    {
        await using var host = await LoopbackHost.StartAsync();
        var (call, started) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (call)
        {
            var listed = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
            Assert.Equal($"/sessions/{started.SessionId}/mjpeg", listed.GetProperty("sessions")[0].GetProperty("mjpeg_url").GetString());
            await Frames.CompleteAsync(call);
        }
    }
}
