using System.Net;
using System.Text.Json;
using OpenCvSharp;
using StreamDiffusion.StreamHost.Tests.Diffusion;
using Xunit.Abstractions;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>
/// The web page: served from the host, and driven end to end in headless Chromium with a fake camera
/// (tests/web/page.test.mjs through playwright-core) against the real diffusion pipeline on the synthetic pack.
/// </summary>
public sealed class WebPageTests(DiffusionHostFixture fixture, ITestOutputHelper output) : IClassFixture<DiffusionHostFixture>
{
    [Fact]
    public async Task The_page_and_its_script_and_styles_are_served_with_etags()
    {
        await using var host = await LoopbackHost.StartAsync();
        var page = await host.Http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"app.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"output\"", html, StringComparison.Ordinal);

        var script = await host.Http.GetAsync(new Uri("/app.js", UriKind.Relative));
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("/ws/stream", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var styles = await host.Http.GetAsync(new Uri("/app.css", UriKind.Relative));
        Assert.Equal("text/css", styles.Content.Headers.ContentType!.MediaType);

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, new Uri("/app.js", UriKind.Relative));
        revalidate.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        var notModified = await host.Http.SendAsync(revalidate);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [BrowserFact]
    public async Task Headless_chromium_streams_its_fake_camera_through_the_diffusion_pipeline_onto_the_page()
    {
        var web = Path.Combine(WebTestData.RepoRoot, "tests", "web");
        if (!Directory.Exists(Path.Combine(web, "node_modules", "playwright-core")))
        {
            var (npmExit, npmLog) = await ExternalTools.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], web, TimeSpan.FromMinutes(5));
            Assert.True(npmExit == 0, "npm ci in tests/web failed: " + npmLog);
        }

        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var screenshots = Path.Combine(AppContext.BaseDirectory, "web-screenshots");
        var (exit, log) = await ExternalTools.RunAsync(
            "node",
            ["page.test.mjs"],
            web,
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string>
            {
                ["SDNET_URL"] = host.HttpAddress.ToString(),
                ["CHROMIUM_PATH"] = ExternalTools.Find("chromium")!,
                ["SDNET_SCREENSHOT_DIR"] = screenshots,
                ["SDNET_PROMPT"] = "an oil painting of a clock",
                ["SDNET_SIZE"] = "256",
            });
        output.WriteLine(log);
        Assert.True(exit == 0, $"page.test.mjs exited with {exit}:\n{log}");
        Assert.Contains("PASS", log, StringComparison.Ordinal);

        // The frames went through this host's pipeline, and the session is gone after Stop.
        var report = JsonDocument.Parse(log.Split('\n').Single(l => l.StartsWith("REPORT ", StringComparison.Ordinal))["REPORT ".Length..]).RootElement;
        Assert.True(host.Metrics.FramesOut.Value >= report.GetProperty("images").GetInt32());
        Assert.Equal(256, report.GetProperty("width").GetInt32());
        var sessions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        Assert.Empty(sessions.GetProperty("sessions").EnumerateArray());

        foreach (var name in new[] { "page-1.png", "output-2.png" })
        {
            using var shot = Cv2.ImRead(Path.Combine(screenshots, name), ImreadModes.Color);
            Assert.False(shot.Empty(), name + " was saved");
        }
    }

    [BrowserFact]
    public async Task Headless_chromium_plays_a_text_to_video_changes_its_prompt_live_and_stops()
    {
        var web = Path.Combine(WebTestData.RepoRoot, "tests", "web");
        if (!Directory.Exists(Path.Combine(web, "node_modules", "playwright-core")))
        {
            var (npmExit, npmLog) = await ExternalTools.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], web, TimeSpan.FromMinutes(5));
            Assert.True(npmExit == 0, "npm ci in tests/web failed: " + npmLog);
        }

        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var (exit, log) = await ExternalTools.RunAsync(
            "node",
            ["video.test.mjs"],
            web,
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string>
            {
                ["SDNET_URL"] = host.HttpAddress.ToString(),
                ["CHROMIUM_PATH"] = ExternalTools.Find("chromium")!,
                ["SDNET_SCREENSHOT_DIR"] = Path.Combine(AppContext.BaseDirectory, "web-screenshots"),
            });
        output.WriteLine(log);
        Assert.True(exit == 0, $"video.test.mjs exited with {exit}:\n{log}");
        Assert.Contains("PASS", log, StringComparison.Ordinal);

        // Stop freed the slot: no session is left.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var sessions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        while (sessions.GetProperty("sessions").GetArrayLength() > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            sessions = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        }

        Assert.Empty(sessions.GetProperty("sessions").EnumerateArray());
    }
}
