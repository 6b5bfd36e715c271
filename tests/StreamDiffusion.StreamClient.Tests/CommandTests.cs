using System.Net;
using System.Net.Sockets;
using Spectre.Console;
using StreamDiffusion.StreamClient.Cli;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>The whole command line (parse, run, print) against the real host, with captured output.</summary>
public sealed class CommandTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 400;
        var code = await StreamClientCommand.RunAsync(args, new ClientConsole(console, error, null, LiveProgress: false), CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Folder_to_avi_exits_0_and_prints_the_summary()
    {
        var folder = _media.PanFolder(8);
        var output = _media.Path("cli.avi");
        await using var host = await LoopbackHost.StartAsync();

        var (code, text, error) = await RunAsync(
            "--server", host.GrpcAddress.ToString(), "--input", folder, "--output", output, "--fps", "0", "--size", "64", "--prompt", "a cat");

        Assert.Equal("", error);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("frames: sent 8, received 8, skipped 0, dropped 0, failed 0", text, StringComparison.Ordinal);
        Assert.Contains("latency ms: mean ", text, StringComparison.Ordinal);
        Assert.Contains("(8 frames)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("server counts differ", text, StringComparison.Ordinal);
        Assert.Equal((8, 64, 64), TestMedia.ReadVideo(output));
    }

    [Fact]
    public async Task Several_servers_skip_a_full_replica_and_stream_on_the_next()
    {
        var folder = _media.PanFolder(4);
        await using var full = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=1");
        await using var spare = await LoopbackHost.StartAsync();
        using var held = full.Client.Stream();
        await held.RequestStream.WriteAsync(new Protos.V1.StreamRequest { Config = new Protos.V1.SessionConfig { Width = 64, Height = 64 } });
        Assert.True(await held.ResponseStream.MoveNext(CancellationToken.None));

        // Twice, so round robin tries the full replica first at least once.
        for (var i = 0; i < 2; i++)
        {
            var (code, text, error) = await RunAsync(
                "--server", $"{full.GrpcAddress},{spare.GrpcAddress}", "--input", folder, "--fps", "0", "--size", "64");
            Assert.Equal("", error);
            Assert.Equal(ExitCodes.Ok, code);
            Assert.Contains("frames: sent 4, received 4", text, StringComparison.Ordinal);
        }

        Assert.Equal(2, spare.Metrics.SessionsStarted.Value);
        Assert.Equal(1, full.Metrics.SessionsStarted.Value);
    }

    [Fact]
    public async Task Unreachable_server_gives_one_error_line_with_the_status_and_exit_2()
    {
        var folder = _media.PanFolder(3);
        var (code, _, error) = await RunAsync("--server", $"127.0.0.1:{ClosedPort()}", "--input", folder, "--size", "64");

        Assert.Equal(ExitCodes.ServerError, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("streamclient: error: server http://127.0.0.1:", lines[0], StringComparison.Ordinal);
        Assert.Contains("Unavailable (14)", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_model_reports_NotFound_and_exit_2()
    {
        var folder = _media.PanFolder(3);
        await using var host = await LoopbackHost.StartAsync();

        var (code, _, error) = await RunAsync("--server", host.GrpcAddress.ToString(), "--input", folder, "--model", "no-such-model", "--size", "64");

        Assert.Equal(ExitCodes.ServerError, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("NotFound (5)", error, StringComparison.Ordinal);
        Assert.Contains("no-such-model", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_input_exits_1_with_one_error_line()
    {
        var (code, _, error) = await RunAsync("--server", "http://127.0.0.1:1", "--input", _media.Path("nothing-here.mp4"));

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot open input", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_webcam_exits_1_with_one_error_line()
    {
        var (code, _, error) = await RunAsync("--server", "http://127.0.0.1:1", "--input", "webcam:97");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal("streamclient: error: cannot open input webcam:97: Cannot open webcam 97 (no such camera, or it is in use).", error.Trim());
    }

    [Theory]
    [InlineData("--size", "12")]
    [InlineData("--quality", "0")]
    [InlineData("--fps", "-1")]
    [InlineData("--format", "gif")]
    [InlineData("--frames", "0")]
    public async Task Invalid_arguments_exit_1_before_connecting(string option, string value)
    {
        var (code, _, error) = await RunAsync("--server", "http://127.0.0.1:1", "--input", "webcam", option, value);

        Assert.Equal(1, code);
        Assert.NotEqual("", error);
    }

    [Fact]
    public async Task Bad_server_address_is_a_usage_error()
    {
        var (code, _, error) = await RunAsync("--server", "ftp://example", "--input", "webcam");

        Assert.Equal(1, code);
        Assert.Contains("--server", error, StringComparison.Ordinal);
    }
}
