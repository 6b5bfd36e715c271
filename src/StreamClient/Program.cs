using System.Runtime.InteropServices;
using Spectre.Console;
using StreamDiffusion.StreamClient.Cli;

// First Ctrl+C (or SIGTERM, e.g. from a container runtime): stop sending and collect the last responses;
// a second signal ends the process at once.
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
    // Redirected output is read by programs: one record per line, never wrapped at 80 columns.
    console.Profile.Width = 1000;
}

// Prompts come from stdin only when someone can type them.
var prompts = Console.IsInputRedirected ? null : Console.In;
return await StreamClientCommand.RunAsync(args, new ClientConsole(console, Console.Error, prompts, live), stop.Token).ConfigureAwait(false);
