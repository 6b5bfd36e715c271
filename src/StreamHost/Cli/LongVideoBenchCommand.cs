using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>bench longvideo [--frames 256] [--size 64] [--partitions 4] [--json FILE] [--plot FILE]</c>: temporal
/// consistency and cost of independent frames, FIFO, FIFO + lookahead and FIFO + coherent tail on a synthetic
/// video pack and a synthetic image pack (DESIGN.md section 8). Prints a table; writes JSON and a PNG plot of
/// frame-to-frame similarity and flicker over the frame index.
/// </summary>
public static class LongVideoBenchCommand
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the <c>longvideo</c> subcommand of <c>bench</c>.</summary>
    public static Command Create()
    {
        var frames = new Option<int>("--frames") { Description = "Frames per contender", DefaultValueFactory = _ => 256 };
        var size = new Option<int>("--size") { Description = "Frame side in pixels (multiple of 8)", DefaultValueFactory = _ => 64 };
        var partitions = new Option<int>("--partitions") { Description = "FIFO partitions n (window 8)", DefaultValueFactory = _ => LongVideoOptions.DefaultPartitions };
        var json = new Option<FileInfo?>("--json") { Description = "Write the measurements as JSON here" };
        var plot = new Option<FileInfo?>("--plot") { Description = "Write a PNG plot of similarity and flicker over frame index here" };
        var command = new Command("longvideo", "Measure long-video consistency (similarity, flicker, drift), throughput and time to first frame")
        {
            frames, size, partitions, json, plot,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var frameCount = parseResult.GetValue(frames);
            var side = parseResult.GetValue(size);
            if (frameCount < 2 || side < 8 || side % 8 != 0)
            {
                AnsiConsole.MarkupLine("[red]--frames must be at least 2 and --size a positive multiple of 8[/]");
                return 1;
            }

            var options = new LongVideoOptions
            {
                Prompts = [new VideoPromptKeyframe(0, "a red fox running through snow")],
                Width = side,
                Height = side,
                Partitions = parseResult.GetValue(partitions),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{ex.Message}[/]");
                return 1;
            }

            var root = Path.Combine(Path.GetTempPath(), "sdnet-longvideo-bench-" + Guid.NewGuid().ToString("N"));
            var results = new List<LongVideoMeasurement>();
            try
            {
                foreach (var video in new[] { true, false })
                {
                    var name = video ? "video" : "image";
                    var path = Path.Combine(root, name);
                    SyntheticPackWriter.Write(path, new SyntheticPackOptions { Video = video, ImageSize = side, Taesd = true });
                    await using var runtime = new ModelRuntime(ModelPack.Load(path));
                    foreach (var contender in LongVideoContender.All)
                    {
                        AnsiConsole.MarkupLineInterpolated($"[grey]{name} pack: {contender.Name} ({frameCount} frames)[/]");
                        results.Add(await LongVideoBenchmark.MeasureAsync(runtime, name, contender, options, frameCount, cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            finally
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort.
                }
            }

            var table = new Table().AddColumns("pack", "contender", "latent sim", "image sim", "flicker", "drift@last", "frames/s", "items/frame", "TTFF ms");
            foreach (var r in results)
            {
                table.AddRow(r.Pack, r.Contender, F(r.LatentSimilarity, "0.000"), F(r.ImageSimilarity, "0.000"), F(r.Flicker, "0.00"), F(r.DriftLast, "0.000"), F(r.FramesPerSecond, "0.0"), F(r.ItemsPerFrame, "0"), F(r.TimeToFirstFrameMs, "0"));
            }

            AnsiConsole.Write(table);
            if (parseResult.GetValue(json) is { } jsonFile)
            {
                var summary = results.Select(r => r with { SimilaritySeries = [], FlickerSeries = [], DriftSeries = Sample(r.DriftSeries) });
                await File.WriteAllTextAsync(jsonFile.FullName, JsonSerializer.Serialize(new { frames = frameCount, size = side, partitions = options.Partitions, window = options.Window, results = summary }, s_json), cancellationToken).ConfigureAwait(false);
            }

            if (parseResult.GetValue(plot) is { } plotFile)
            {
                LongVideoPlot.Write(plotFile.FullName, results);
            }

            return 0;
        });
        return command;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Every 16th value of a series (the JSON stays readable).</summary>
    private static double[] Sample(double[] series) => [.. series.Where((_, i) => i % 16 == 0 || i == series.Length - 1).Select(v => Math.Round(v, 4))];
}
