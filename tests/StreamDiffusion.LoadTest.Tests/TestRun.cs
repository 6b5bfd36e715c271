using System.Text.Json;
using Spectre.Console;
using StreamDiffusion.LoadTest.Cli;
using StreamDiffusion.LoadTest.Running;

namespace StreamDiffusion.LoadTest.Tests;

/// <summary>Runs the load test's command path into a temp folder and a captured console.</summary>
internal sealed class TestRun : IDisposable
{
    private readonly StringWriter _text = new();

    public TestRun()
    {
        Folder = Directory.CreateTempSubdirectory("loadtest-tests-").FullName;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        Console.Profile.Width = 1000;
    }

    public string Folder { get; }

    public IAnsiConsole Console { get; }

    public string Output => _text.ToString();

    public static LoadTestOptions Options(IReadOnlyList<Uri> targets, params Uri[] metrics) => new()
    {
        Targets = targets,
        MetricsEndpoints = metrics,
        ImagesFolder = TestPaths.Images,
        Size = 64,
        Fps = 20,
        Duration = TimeSpan.FromSeconds(10),
        StartTimeout = TimeSpan.FromSeconds(10),
    };

    public Task<int> ExecuteAsync(LoadTestOptions options, RampOptions? ramp = null) =>
        LoadTestCommand.ExecuteAsync(options, ramp, Folder, Console, live: false, CancellationToken.None);

    public JsonElement Json(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name)));
        return document.RootElement.Clone();
    }

    public void AssertPng(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, name));
        Assert.True(bytes.Length > 1000, $"{name} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    public void Dispose()
    {
        _text.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
