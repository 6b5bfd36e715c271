using System.Diagnostics;

namespace StreamDiffusion.StreamHost.Tests.Cli;

/// <summary>Runs the real host executable (streamhost.dll beside the tests) as a child process.</summary>
internal static class HostProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "streamhost.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Wide, plain output: tables must not wrap when read from a pipe.
        start.Environment["COLUMNS"] = "240";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
