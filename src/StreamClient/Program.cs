using Spectre.Console;
using StreamDiffusion.StreamClient.Cli;

// First Ctrl+C: stop sending and collect the last responses; a second one ends the process at once.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!stop.IsCancellationRequested)
    {
        e.Cancel = true;
        stop.Cancel();
    }
};

var console = AnsiConsole.Console;
var live = !Console.IsOutputRedirected && console.Profile.Capabilities.Interactive;

// Prompts come from stdin only when someone can type them.
var prompts = Console.IsInputRedirected ? null : Console.In;
return await StreamClientCommand.RunAsync(args, new ClientConsole(console, Console.Error, prompts, live), stop.Token).ConfigureAwait(false);
