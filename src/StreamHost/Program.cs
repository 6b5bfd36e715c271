using System.CommandLine;
using StreamDiffusion.StreamHost.Cli;

// Verbs: serve (default), models list|inspect|synth|pull, tokenize, render, bench.
var root = new RootCommand("StreamDiffusion.Net host: real-time diffusion video over gRPC");
var models = new Command("models", "List, inspect, generate and download model packs");
models.Subcommands.Add(ModelsInspectCommand.Create());
models.Subcommands.Add(ModelsPullCommand.Create());
models.Subcommands.Add(ModelsSynthCommand.Create());
root.Subcommands.Add(models);
root.Subcommands.Add(TokenizeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
