using System.Net;
using System.Text.Json;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Security;
using StreamDiffusion.StreamHost.Tests.Diffusion;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>
/// Keys are tenants: a key lists, watches (MJPEG) and controls (ControlVideo) only the sessions it started; an admin
/// key sees all; a signed URL handed out to the owner works on its own. Real Kestrel on loopback.
/// </summary>
public sealed class SessionTenancyTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    private static readonly string s_admin = ApiKeyHash.NewKey();

    private static string[] AdminKey =>
    [
        "Auth:Keys:3:Name=ops",
        "Auth:Keys:3:Sha256=" + ApiKeyHash.Hash(s_admin),
        "Auth:Keys:3:Admin=true",
    ];

    [Fact]
    public async Task A_key_lists_and_watches_only_its_own_sessions_and_an_admin_key_sees_all()
    {
        await using var host = await AuthTestKeys.StartHostAsync(AdminKey);
        using var owned = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Open));
        var id = owned.ResponseStream.Current.Started.SessionId;

        var mine = await ListAsync(host, AuthTestKeys.Open);
        var url = Assert.Single(mine.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == id).GetProperty("mjpeg_url").GetString()!;
        var theirs = await ListAsync(host, AuthTestKeys.Limited);
        Assert.Empty(theirs.GetProperty("sessions").EnumerateArray());
        Assert.Equal(1, theirs.GetProperty("active").GetInt32());
        var all = await ListAsync(host, s_admin);
        Assert.Single(all.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == id);

        // MJPEG with a key: the owner and the admin may watch, another key finds nothing running. (A frame first, so a
        // viewer's stream has something to start with.)
        await Frames.RoundTripAsync(owned, Frames.Raw(64, 64, 1, 1));
        Assert.Equal(HttpStatusCode.OK, await MjpegStatusAsync(host, $"/sessions/{id}/mjpeg", AuthTestKeys.Open));
        Assert.Equal(HttpStatusCode.OK, await MjpegStatusAsync(host, $"/sessions/{id}/mjpeg", s_admin));
        Assert.Equal(HttpStatusCode.NotFound, await MjpegStatusAsync(host, $"/sessions/{id}/mjpeg", AuthTestKeys.Limited));

        // The owner's signed URL stands on its own (OBS sends no key), even beside another key.
        Assert.Equal(HttpStatusCode.OK, await MjpegStatusAsync(host, url, key: null));
        Assert.Equal(HttpStatusCode.OK, await MjpegStatusAsync(host, url, AuthTestKeys.Limited));

        await Frames.CompleteAsync(owned);
    }

    [Fact]
    public async Task ControlVideo_changes_only_the_callers_own_long_video_and_an_admin_key_may_change_any()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings([.. AuthTestKeys.Settings, .. AdminKey]));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var request = new GenerateVideoRequest { Width = 64, Height = 64, NumPartitions = 2, CoherentTail = true };
        request.Prompts.Add(new PromptKeyframe { StartFrame = 0, Text = "a red fox running through snow" });
        using var call = host.Client.GenerateVideo(request, AuthTestKeys.ApiKey(AuthTestKeys.Open, cts.Token));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var id = call.ResponseStream.Current.SessionId;
        var change = new VideoControlRequest { SessionId = id, Prompt = "a deep blue ocean at night" };

        var other = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ControlVideoAsync(change, AuthTestKeys.ApiKey(AuthTestKeys.Limited)));
        Assert.Equal(StatusCode.NotFound, other.StatusCode);
        Assert.Contains($"no long-video session '{id}' is running", other.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(16u, (await host.Client.ControlVideoAsync(change, AuthTestKeys.ApiKey(AuthTestKeys.Open))).ArrivalFrames);
        Assert.Equal(16u, (await host.Client.ControlVideoAsync(change, AuthTestKeys.ApiKey(s_admin))).ArrivalFrames);
        await cts.CancelAsync();
    }

    private static async Task<JsonElement> ListAsync(LoopbackHost host, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions");
        request.Headers.Add("x-api-key", key);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<HttpStatusCode> MjpegStatusAsync(LoopbackHost host, string path, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        // Headers only: the stream itself runs until the session ends.
        using var response = await host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }
}
