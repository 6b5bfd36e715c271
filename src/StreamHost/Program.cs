using System.CommandLine;
using StreamDiffusion.StreamHost.Cli;
using StreamDiffusion.StreamHost.Serving;

// Verbs: serve (default), models list|inspect|synth|pull, tokenize, render, bench, keys new|hash.
// "serve" hands its arguments to ASP.NET Core configuration (e.g. --Listen:GrpcUrl=...), so it is
// dispatched before System.CommandLine sees them.
if ((args.Length == 0 || args[0] == "serve" || (args[0].StartsWith("--", StringComparison.Ordinal) && !IsRootOption(args[0])))
    && !args.Any(IsRootOption))
{
    var serveArgs = args.Length > 0 && args[0] == "serve" ? args[1..] : args;
    using var shutdown = new CancellationTokenSource();
    return await ServeCommand.RunAsync(ServeArguments.Translate(serveArgs), shutdown.Token).ConfigureAwait(false);
}

// Tables read from a pipe or a log should not wrap at Spectre's 80-column default.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 40 ? columns : 160;
}

var root = new RootCommand("StreamDiffusion.Net host: real-time diffusion video over gRPC. Without a verb it serves.");
root.Subcommands.Add(ServeArguments.CreateHelpCommand());
var models = new Command("models", "List, inspect, generate and download model packs");
models.Subcommands.Add(ModelsListCommand.Create());
models.Subcommands.Add(ModelsInspectCommand.Create());
models.Subcommands.Add(ModelsPullCommand.Create());
models.Subcommands.Add(ModelsSynthCommand.Create());
root.Subcommands.Add(models);
root.Subcommands.Add(TokenizeCommand.Create());
root.Subcommands.Add(RenderCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(KeysCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

static bool IsRootOption(string arg) => arg is "--help" or "-h" or "-?" or "--version";
