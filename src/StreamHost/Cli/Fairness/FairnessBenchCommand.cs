using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace StreamDiffusion.StreamHost.Cli.Fairness;

/// <summary>
/// <c>bench fairness [--model DIR] [--size 512] [--paced 3] [--greedy 1] [--fps F] [--load 0.5] [--seconds 30]
/// [--settle 3] [--calibration 10] [--workers N] [--quick] [--out fairness.json]</c>: starts a host in this process and measures
/// whether greedy streams starve paced ones (docs/security.md, Fairness). Writes the JSON report to --out and a
/// summary to stdout; exit code 0 when every paced stream kept at least 90 % of its fps, 2 when not, 1 on error.
/// </summary>
public static class FairnessBenchCommand
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the <c>bench fairness</c> command.</summary>
    public static Command Create()
    {
        var defaults = new FairnessOptions();
        var model = new Option<string?>("--model") { Description = "Model pack folder (default: the embedded default pack)" };
        var size = new Option<int>("--size") { Description = "Session size in pixels (square, multiple of 8)", DefaultValueFactory = _ => defaults.Size };
        var paced = new Option<int>("--paced") { Description = "Paced streams", DefaultValueFactory = _ => defaults.PacedStreams };
        var greedy = new Option<int>("--greedy") { Description = "Greedy streams in the contended phase (as fast as answered)", DefaultValueFactory = _ => defaults.GreedyStreams };
        var fps = new Option<double>("--fps") { Description = "Frames per second of each paced stream; 0: calibrated from --load", DefaultValueFactory = _ => defaults.PacedFps };
        var load = new Option<double>("--load") { Description = "Share of the measured capacity the paced streams offer together when calibrating", DefaultValueFactory = _ => defaults.PacedLoad };
        var seconds = new Option<double>("--seconds") { Description = "Measured window of each phase", DefaultValueFactory = _ => defaults.Window.TotalSeconds };
        var settle = new Option<double>("--settle") { Description = "Untimed start of each phase", DefaultValueFactory = _ => defaults.Settle.TotalSeconds };
        var calibration = new Option<double>("--calibration") { Description = "Measured window of the calibration phase", DefaultValueFactory = _ => defaults.Calibration.TotalSeconds };
        var workers = new Option<int?>("--workers") { Description = "Engine workers of the model (default: the provider's, 4 on the CPU)" };
        var quick = new Option<bool>("--quick") { Description = "Small preset (64 px, seconds per phase); explicit options still apply" };
        var output = new Option<FileInfo>("--out") { Description = "JSON report file", DefaultValueFactory = _ => new FileInfo("fairness.json") };
        var command = new Command("fairness", "Measure whether greedy streams starve paced ones: paced streams alone, then beside greedy streams")
        {
            model, size, paced, greedy, fps, load, seconds, settle, calibration, workers, quick, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var preset = parse.GetValue(quick) ? FairnessOptions.Quick : defaults;
            T Pick<T>(Option<T> option, T fallback) => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : fallback;
            var options = preset with
            {
                Model = parse.GetValue(model),
                Workers = parse.GetValue(workers),
                Size = Pick(size, preset.Size),
                PacedStreams = Pick(paced, preset.PacedStreams),
                GreedyStreams = Pick(greedy, preset.GreedyStreams),
                PacedFps = Pick(fps, preset.PacedFps),
                PacedLoad = Pick(load, preset.PacedLoad),
                Window = TimeSpan.FromSeconds(Pick(seconds, preset.Window.TotalSeconds)),
                Settle = TimeSpan.FromSeconds(Pick(settle, preset.Settle.TotalSeconds)),
                Calibration = TimeSpan.FromSeconds(Pick(calibration, preset.Calibration.TotalSeconds)),
            };
            if (options.Size < 8 || options.Size % 8 != 0 || options.PacedStreams < 1 || options.GreedyStreams < 0 || options.PacedFps < 0
                || options.PacedLoad is <= 0 or > 1 || options.Workers is < 1 or > 16 || options.Window <= TimeSpan.Zero || options.Settle < TimeSpan.Zero || options.Calibration <= TimeSpan.Zero)
            {
                await Console.Error.WriteLineAsync("bench fairness: --size must be a multiple of 8, --paced at least 1, --greedy and --fps not negative, --load in (0, 1], --workers 1..16, times positive").ConfigureAwait(false);
                return 1;
            }

            var line = "streamhost " + string.Join(' ', parse.Tokens.Select(t => t.Value));
            var report = await FairnessBench.RunAsync(options, line, Console.WriteLine, cancellationToken).ConfigureAwait(false);
            var file = parse.GetValue(output)!;
            await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(report, s_json), cancellationToken).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"paced fps beside {options.GreedyStreams} greedy stream(s) over alone: {string.Join(", ", report.PacedFpsRatios.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))} (goal >= {FairnessReport.Goal}); load average {report.Machine.LoadAverageBefore:0.00} -> {report.Machine.LoadAverageAfter:0.00}; report: {file.FullName}"));
            return report.Fair ? 0 : 2;
        });
        return command;
    }
}
