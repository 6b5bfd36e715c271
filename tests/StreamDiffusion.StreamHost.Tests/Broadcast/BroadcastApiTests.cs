using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static StreamDiffusion.StreamHost.Tests.Broadcast.BroadcastTestHost;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>The /broadcasts API: keys created, listed, changed and removed; bad input answered precisely.</summary>
public sealed class BroadcastApiTests
{
    [Fact]
    public async Task Keys_are_created_listed_changed_and_deleted()
    {
        await using var host = await StartAsync("Broadcast:Keys:configured:Prompt=from config");
        var put = await host.Http.PutAsync(new Uri("/broadcasts/studio-1", UriKind.Relative),
            new StringContent("""{"prompt":"a watercolor","width":256,"height":256,"cfg_type":"none"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var control = await host.Http.PostAsJsonAsync(new Uri("/broadcasts/studio-1/control", UriKind.Relative), new { prompt = "an oil painting", seed = 7 });
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);
        Assert.Contains("\"live\":false", await control.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/broadcasts", UriKind.Relative)));
        var root = list.RootElement;
        Assert.True(root.GetProperty("srt_port").GetInt32() > 0);
        var keys = root.GetProperty("broadcasts").EnumerateArray().ToDictionary(b => b.GetProperty("key").GetString()!);
        Assert.Equal("from config", keys["configured"].GetProperty("config").GetProperty("prompt").GetString());
        var studio = keys["studio-1"].GetProperty("config");
        Assert.Equal("an oil painting", studio.GetProperty("prompt").GetString());
        Assert.Equal("7", studio.GetProperty("seed").ToString());
        Assert.Equal(256, studio.GetProperty("width").GetInt32());
        Assert.EndsWith("?streamid=studio-1", keys["studio-1"].GetProperty("ingest_url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync(new Uri("/broadcasts/studio-1", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.DeleteAsync(new Uri("/broadcasts/studio-1", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("k", """{"prompt":""", "config: not valid JSON")]
    [InlineData("k", """{"promt":"x"}""", "promt")]
    [InlineData("k", """{"width":100,"height":64}""", "width")]
    [InlineData("k", """{"model":"nope"}""", "model 'nope' is not configured")]
    [InlineData("k", """{"mode":"txt2img"}""", "img2img")]
    [InlineData("bad%20key", """{}""", "stream key may hold only")]
    public async Task Bad_configurations_are_400_with_the_reason(string key, string body, string reason)
    {
        await using var host = await StartAsync();
        var response = await host.Http.PutAsync(new Uri("/broadcasts/" + key, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(host.Server().Profiles);
    }

    [Fact]
    public async Task Controls_for_unknown_keys_are_404_and_bad_controls_400()
    {
        await using var host = await StartAsync("Broadcast:Keys:k:Prompt=p");
        var unknown = await host.Http.PostAsJsonAsync(new Uri("/broadcasts/nope/control", UriKind.Relative), new { prompt = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var bad = await host.Http.PostAsJsonAsync(new Uri("/broadcasts/k/control", UriKind.Relative), new { guidance_scale = 99 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("guidance_scale", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("p", host.Server().Profiles["k"].Prompt);
    }

    [Fact]
    public async Task A_host_without_broadcasting_has_no_listeners_but_answers_the_api()
    {
        await using var host = await LoopbackHost.StartAsync();
        using var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/broadcasts", UriKind.Relative)));
        Assert.False(list.RootElement.GetProperty("enabled").GetBoolean());
        Assert.Equal(-1, list.RootElement.GetProperty("srt_port").GetInt32());
    }
}
