using System.Text.Json;
using StreamDiffusion.StreamHost.Tests.Web;
using Xunit.Abstractions;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>
/// The CI variant of the fuzz targets (tests/StreamDiffusion.Fuzz): each target's seed corpus, mutated in-process
/// for a fixed number of cases with a fixed seed, must produce no defect. The long, coverage-guided variant under
/// AFL++ is scripts/fuzz.sh. The fuzzer runs as a child process so that a native crash in a decoder fails this
/// test instead of killing the test host.
/// </summary>
public sealed class FuzzSmokeTests(ITestOutputHelper output)
{
    private static string FuzzerDll
    {
        get
        {
            // Same configuration and framework as this test assembly: .../bin/<Configuration>/<tfm>/.
            var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = testBin.Name;
            var configuration = testBin.Parent!.Name;
            return Path.Combine(WebTestData.RepoRoot, "tests", "StreamDiffusion.Fuzz", "bin", configuration, framework, "streamdiffusion-fuzz.dll");
        }
    }

    [Theory]
    [InlineData("frame-decoder", 800)]
    [InlineData("frame-validation", 3000)]
    [InlineData("session-config", 10000)]
    [InlineData("websocket-json", 10000)]
    [InlineData("websocket-video-json", 10000)]
    public async Task A_target_survives_mutated_inputs_with_precise_rejections(string target, int cases)
    {
        var summary = await RunAsync("random", target, cases.ToString(System.Globalization.CultureInfo.InvariantCulture), "11");
        Assert.Equal(cases, summary.GetProperty("cases").GetInt32());
        Assert.True(summary.GetProperty("defects").GetInt32() == 0, "first defect: " + summary.GetProperty("first_defect"));
    }

    [Theory]
    [InlineData("""{"prompt":"a cat",  "prompt":"a dog"}""")] // duplicate property: ambiguous, was ArgumentException
    [InlineData("{\"prompt\":\"a \xff cat\"}")] // not UTF-8, was InvalidOperationException from the JSON reader
    public async Task WebSocket_json_inputs_that_once_threw_are_rejections(string message)
    {
        var file = Path.Combine(Path.GetTempPath(), $"sdnet-fuzz-{Guid.NewGuid():N}");
        var bytes = message.Select(c => (byte)c).ToArray(); // Latin-1: keeps \xff as the single byte 0xFF
        await File.WriteAllBytesAsync(file, bytes);
        try
        {
            var (exit, log) = await ExternalTools.RunAsync("dotnet", [FuzzerDll, "replay", "websocket-json", file], WebTestData.RepoRoot, TimeSpan.FromMinutes(2));
            output.WriteLine(log);
            Assert.True(exit == 0, log);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<JsonElement> RunAsync(params string[] arguments)
    {
        Assert.True(File.Exists(FuzzerDll), $"{FuzzerDll} is built with the solution");
        var (exit, log) = await ExternalTools.RunAsync("dotnet", [FuzzerDll, .. arguments], WebTestData.RepoRoot, TimeSpan.FromMinutes(5));
        var line = log.Split('\n').LastOrDefault(l => l.StartsWith("{\"target\"", StringComparison.Ordinal));
        Assert.True(line is not null, $"the fuzzer printed no summary (exit {exit}):\n{log[^Math.Min(log.Length, 4000)..]}");
        output.WriteLine(line);
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
