using System.Runtime.InteropServices;
using Spectre.Console;
using StreamDiffusion.LoadTest.Cli;

// Ctrl+C or SIGTERM ends the run early; what was measured so far is still reported.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    if (!stop.IsCancellationRequested)
    {
        context.Cancel = true;
        stop.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
var console = AnsiConsole.Console;
var live = !Console.IsOutputRedirected && console.Profile.Capabilities.Interactive;
if (!live)
{
    // Redirected output is read by programs: one record per line.
    console.Profile.Width = 1000;
}

return await LoadTestCommand.RunAsync(args, console, live, stop.Token).ConfigureAwait(false);
