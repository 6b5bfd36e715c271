using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using StreamDiffusion.Pipeline.Models.Hub;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>pull REPO [--revision main] [--out DIR] [--endpoint URL] [--token T] [--include GLOB]... [--exclude GLOB]... [--force]</c>:
/// downloads a model pack from the Hugging Face Hub (meant to sit under a <c>models</c> verb: <c>models pull</c>).
/// </summary>
/// <remarks>
/// By default every file except weights for other runtimes (*.safetensors, *.bin, *.ckpt, *.pt, ... — see
/// <see cref="PullOptions.DefaultExclude"/>) is pulled: ONNX graphs, their external data, configs and tokenizer files.
/// Giving <c>--include</c> pulls only matching files and lifts those default excludes. Downloads are resumable (re-run
/// the same command), every file is checked against the Hub's hashes, and the output folder appears only once the
/// whole pack is verified. Exit code 0 on success, 1 on any failure (one red line on stderr), 130 when cancelled.
/// </remarks>
public static class ModelsPullCommand
{
    /// <summary>Builds the <c>pull</c> command.</summary>
    public static Command Create()
    {
        var repo = new Argument<string>("repo")
        {
            Description = "Hub repository id, owner/name (e.g. stabilityai/sd-turbo or an ONNX export of it)",
        };
        var revision = new Option<string>("--revision")
        {
            Description = "Branch, tag or commit to pull",
            DefaultValueFactory = _ => "main",
        };
        var output = new Option<string?>("--out")
        {
            Description = "Pack folder to create (default ./models/<repo name>); staging goes to <out>.partial",
        };
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = "Hub base URL (default: $HF_ENDPOINT, else https://huggingface.co)",
        };
        var token = new Option<string?>("--token")
        {
            Description = "Access token for gated or private repositories (default: $HF_TOKEN)",
        };
        var include = new Option<string[]>("--include")
        {
            Description = "Only pull files matching this glob (repeatable; '*.onnx', 'unet/**'); lifts the default excludes",
            Arity = ArgumentArity.OneOrMore,
        };
        var exclude = new Option<string[]>("--exclude")
        {
            Description = "Skip files matching this glob (repeatable; replaces the default excludes of non-ONNX weights)",
            Arity = ArgumentArity.OneOrMore,
        };
        var force = new Option<bool>("--force")
        {
            Description = "Replace an existing output folder that holds a different pack",
        };

        var command = new Command("pull", "Download a model pack from the Hugging Face Hub (resumable, SHA-256 verified)")
        {
            repo, revision, output, endpoint, token, include, exclude, force,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string? staging = null;
            try
            {
                var repository = parseResult.GetValue(repo)!;
                var excluded = parseResult.GetValue(exclude);
                var options = new PullOptions
                {
                    Repository = repository,
                    Revision = parseResult.GetValue(revision) ?? "main",
                    OutputDirectory = parseResult.GetValue(output) ?? PullOptions.DefaultOutputDirectory(repository),
                    Include = parseResult.GetValue(include) ?? [],
                    Exclude = excluded is { Length: > 0 } ? excluded : null,
                    Overwrite = parseResult.GetValue(force),
                };
                staging = ModelPackDownloader.GetStagingDirectory(options.OutputDirectory);
                using var client = new HubClient(HubClient.ResolveEndpoint(parseResult.GetValue(endpoint)), HubClient.ResolveToken(parseResult.GetValue(token)));
                return await RunAsync(client, options, AnsiConsole.Console, cancellationToken).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                var resumable = ex.Kind == HubErrorKind.Network && staging is not null && Directory.Exists(staging);
                WriteError(ex.Message + (resumable ? $"; the partial download is kept in {staging}: run the same command again to resume" : string.Empty));
                return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                WriteError("cancelled: run the same command again to resume");
                return 130;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                WriteError(ex.Message);
                return 1;
            }
        });
        return command;
    }

    /// <summary>Runs a pull with a progress bar per file, then prints a summary table.</summary>
    internal static async Task<int> RunAsync(HubClient client, PullOptions options, IAnsiConsole console, CancellationToken cancellationToken)
    {
        console.MarkupLine($"Pulling [bold]{Markup.Escape(options.Repository)}[/]@{Markup.Escape(options.Revision)} from {Markup.Escape(client.Endpoint.ToString())}");
        var downloader = new ModelPackDownloader(client);
        var result = await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var progress = new PullProgressCallback(report =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(report.File, out var task))
                        {
                            task = context.AddTask(Markup.Escape(report.File), autoStart: true, maxValue: Math.Max(1, report.TotalBytes));
                            tasks[report.File] = task;
                        }

                        switch (report.State)
                        {
                            case PullFileState.Downloading:
                                task.Value = report.BytesDone;
                                break;
                            case PullFileState.Verifying:
                                task.Description = $"{Markup.Escape(report.File)} [grey](verifying)[/]";
                                task.Value = task.MaxValue;
                                break;
                            case PullFileState.Done:
                                task.Description = $"{Markup.Escape(report.File)} [green]✓[/]";
                                task.Value = task.MaxValue;
                                task.StopTask();
                                break;
                            case PullFileState.Reused:
                                task.Description = $"{Markup.Escape(report.File)} [green]✓[/] [grey](already downloaded)[/]";
                                task.Value = task.MaxValue;
                                task.StopTask();
                                break;
                        }
                    }
                });
                return await downloader.PullAsync(options, progress, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

        if (result.AlreadyUpToDate)
        {
            console.MarkupLine($"[green]{Markup.Escape(result.OutputDirectory)} already holds this pack ({result.Files.Count} files, {FormatBytes(result.TotalBytes)}); nothing to do.[/]");
            return 0;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("Files").AddColumn("Size").AddColumn("Downloaded").AddColumn("Verified");
        table.AddRow(
            result.Files.Count.ToString(CultureInfo.InvariantCulture),
            FormatBytes(result.TotalBytes),
            FormatBytes(result.DownloadedBytes) + (result.ReusedFiles > 0 ? $" ({result.ReusedFiles} files reused)" : string.Empty),
            $"{result.VerifiedFiles}/{result.Files.Count} hashed, all sized");
        console.Write(table);
        console.MarkupLine($"[green]pack ready in {Markup.Escape(result.OutputDirectory)}[/]");
        if (result.Commit is { } commit)
        {
            console.MarkupLine($"[grey]commit {Markup.Escape(commit)}[/]");
        }

        return 0;
    }

    /// <summary>One red line on stderr, never wrapped (Spectre wraps at 80 columns when stderr is not a terminal).</summary>
    private static void WriteError(string message)
    {
        var line = "error: " + message.ReplaceLineEndings(" ");
        var color = !Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        Console.Error.WriteLine(color ? $"\u001b[31m{line}\u001b[0m" : line);
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };
}
