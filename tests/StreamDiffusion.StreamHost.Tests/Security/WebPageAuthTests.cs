using StreamDiffusion.StreamHost.Tests.Web;
using Xunit.Abstractions;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>The web page on a host with keys, in headless Chromium (tests/web/auth.test.mjs).</summary>
public sealed class WebPageAuthTests(ITestOutputHelper output)
{
    [BrowserFact]
    public async Task The_page_streams_with_the_key_from_its_key_field_and_shows_a_signed_mjpeg_link()
    {
        var web = Path.Combine(WebTestData.RepoRoot, "tests", "web");
        if (!Directory.Exists(Path.Combine(web, "node_modules", "playwright-core")))
        {
            var (npmExit, npmLog) = await ExternalTools.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], web, TimeSpan.FromMinutes(5));
            Assert.True(npmExit == 0, "npm ci in tests/web failed: " + npmLog);
        }

        await using var host = await AuthTestKeys.StartHostAsync();
        var (exit, log) = await ExternalTools.RunAsync(
            "node",
            ["auth.test.mjs"],
            web,
            TimeSpan.FromMinutes(3),
            new Dictionary<string, string>
            {
                ["SDNET_URL"] = host.HttpAddress.ToString(),
                ["SDNET_API_KEY"] = AuthTestKeys.Open,
                ["CHROMIUM_PATH"] = ExternalTools.Find("chromium")!,
            });
        output.WriteLine(log);
        Assert.True(exit == 0, $"auth.test.mjs exited with {exit}:\n{log}");
        Assert.Contains("PASS", log, StringComparison.Ordinal);
        Assert.True(host.Metrics.FramesOut.Value >= 2, "the page's frames went through this host");
    }
}
