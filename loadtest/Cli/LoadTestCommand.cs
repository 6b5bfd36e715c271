using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using StreamDiffusion.LoadTest.Frames;
using StreamDiffusion.LoadTest.Reporting;
using StreamDiffusion.LoadTest.Running;
using StreamDiffusion.StreamClient.Connection;

namespace StreamDiffusion.LoadTest.Cli;

/// <summary>
/// <c>loadtest --target URL[,URL…] [--metrics URL[,URL…]] [--streams N] [--websocket N [--web URL[,URL…]]] [--video N]
/// [--fps F] [--duration S] [--frames N]
/// [--ramp START:STEP:MAX] [--latency-target MS] [--reconnect] [--out DIR]</c>.
/// </summary>
public static class LoadTestCommand
{
    /// <summary>Largest message accepted from a host (a raw 2048x2048 frame with room to spare).</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    /// <summary>Parses <paramref name="args"/> and runs.</summary>
    public static Task<int> RunAsync(string[] args, IAnsiConsole console, bool live, CancellationToken cancellationToken)
    {
        var root = Create(console, live, cancellationToken);
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, CancellationToken.None);
    }

    /// <summary>Builds the root command.</summary>
    public static RootCommand Create(IAnsiConsole console, bool live, CancellationToken cancellationToken)
    {
        var target = new Option<string>("--target") { Description = "gRPC address(es), comma-separated: hosts or a load balancer.", Required = true };
        target.Validators.Add(r => Validate(r, () => FailoverChannel.ParseAddresses(r.GetValueOrDefault<string>() ?? string.Empty)));
        var metrics = new Option<string?>("--metrics") { Description = "Web address(es) of the hosts, comma-separated, for /metrics before and after." };
        var streams = new Option<int>("--streams") { Description = "Concurrent Stream calls (0 with --websocket or --video).", DefaultValueFactory = _ => 1 };
        var websocket = new Option<int>("--websocket") { Description = "Concurrent WebSocket sessions (/ws/stream, the web page's protocol) besides the streams.", DefaultValueFactory = _ => 0 };
        var web = new Option<string?>("--web") { Description = "Web address(es) for --websocket, comma-separated (default: the --metrics addresses)." };
        web.Validators.Add(r => Validate(r, () => FailoverChannel.ParseAddresses(r.GetValueOrDefault<string>() ?? string.Empty)));
        var video = new Option<int>("--video") { Description = "Concurrent GenerateVideo (text-to-video) calls besides the streams, each for the run's duration.", DefaultValueFactory = _ => 0 };
        var videoPartitions = new Option<int>("--video-partitions") { Description = "FIFO partitions of the video calls (0: the host's default).", DefaultValueFactory = _ => 0 };
        var fps = new Option<double>("--fps") { Description = "Frames per second per stream.", DefaultValueFactory = _ => 8 };
        var duration = new Option<double>("--duration") { Description = "Seconds each run (each ramp step) sends.", DefaultValueFactory = _ => 10 };
        var frames = new Option<int?>("--frames") { Description = "Frames per stream (stops earlier than --duration when reached)." };
        var size = new Option<int>("--size") { Description = "Frame and session size (square, pixels).", DefaultValueFactory = _ => 256 };
        var model = new Option<string>("--model") { Description = "Model name (default: the host's default).", DefaultValueFactory = _ => string.Empty };
        var prompt = new Option<string>("--prompt") { Description = "Prompt of every session.", DefaultValueFactory = _ => "a watercolor painting" };
        var images = new Option<string?>("--images") { Description = "Folder of photos to make frames from (default: shared/data/images)." };
        var reconnect = new Option<bool>("--reconnect") { Description = "Reopen a stream a host ended or refused (failover) instead of stopping it." };
        var ramp = new Option<string?>("--ramp") { Description = "START:STEP:MAX streams, one run per count; reports the capacity." };
        var latencyTarget = new Option<double?>("--latency-target") { Description = "p95 target in ms for the capacity figure (default: two frame intervals)." };
        var output = new Option<string>("--out") { Description = "Folder for report JSON and plots.", DefaultValueFactory = _ => "loadtest-results" };
        var warmUp = new Option<double>("--warmup") { Description = "Seconds of one unreported stream before measuring (0: none).", DefaultValueFactory = _ => 2 };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "Unanswered frames per stream before further slots go unsent.", DefaultValueFactory = _ => 16 };
        var root = new RootCommand("Load test for StreamDiffusion.Net hosts: concurrent live streams, latency, fps, drops, errors, capacity.")
        {
            target, metrics, streams, websocket, web, video, videoPartitions, fps, duration, frames, size, model, prompt, images, reconnect, ramp, latencyTarget, output, warmUp, maxInFlight,
        };
        root.SetAction(async (parse, _) =>
        {
            LoadTestOptions options;
            RampOptions? rampOptions;
            try
            {
                options = new LoadTestOptions
                {
                    Targets = FailoverChannel.ParseAddresses(parse.GetValue(target)!),
                    MetricsEndpoints = parse.GetValue(metrics) is { } m ? FailoverChannel.ParseAddresses(m) : [],
                    Streams = NotNegative(parse.GetValue(streams), "--streams"),
                    WebSocketStreams = NotNegative(parse.GetValue(websocket), "--websocket"),
                    WebTargets = parse.GetValue(web) is { } w ? FailoverChannel.ParseAddresses(w) : [],
                    VideoStreams = NotNegative(parse.GetValue(video), "--video"),
                    VideoPartitions = NotNegative(parse.GetValue(videoPartitions), "--video-partitions"),
                    Fps = Positive(parse.GetValue(fps), "--fps"),
                    Duration = TimeSpan.FromSeconds(Positive(parse.GetValue(duration), "--duration")),
                    FramesPerStream = parse.GetValue(frames) is { } n ? Positive(n, "--frames") : null,
                    Size = Positive(parse.GetValue(size), "--size"),
                    Model = parse.GetValue(model) ?? string.Empty,
                    Prompt = parse.GetValue(prompt) ?? string.Empty,
                    ImagesFolder = parse.GetValue(images) ?? DefaultPaths.Images(),
                    Reconnect = parse.GetValue(reconnect),
                    LatencyTarget = parse.GetValue(latencyTarget) is { } ms ? TimeSpan.FromMilliseconds(Positive(ms, "--latency-target")) : null,
                    MaxInFlight = Positive(parse.GetValue(maxInFlight), "--max-in-flight"),
                    WarmUp = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(warmUp))),
                };
                rampOptions = parse.GetValue(ramp) is { } r ? ParseRamp(r) : null;
                Check(options);
            }
            catch (FormatException ex)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return ExitCodes.InvalidInput;
            }

            return await ExecuteAsync(options, rampOptions, parse.GetValue(output)!, console, live, cancellationToken).ConfigureAwait(false);
        });
        return root;
    }

    /// <summary>Checks what the options need of each other.</summary>
    /// <exception cref="FormatException">Nothing to run, or WebSocket sessions without a web address.</exception>
    public static void Check(LoadTestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Streams + options.WebSocketStreams + options.VideoStreams < 1)
        {
            throw new FormatException("nothing to run: --streams, --websocket and --video are all 0");
        }

        if (options.WebSocketStreams > 0 && options.EffectiveWebTargets.Count == 0)
        {
            throw new FormatException("--websocket needs the hosts' web address: give --web (or --metrics) URL[,URL...]");
        }
    }

    /// <summary>Parses START:STEP:MAX.</summary>
    /// <exception cref="FormatException">Not three positive integers with START ≤ MAX.</exception>
    public static RampOptions ParseRamp(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0))
        {
            throw new FormatException($"--ramp '{text}' is not START:STEP:MAX with positive integers, e.g. 1:1:8");
        }

        var values = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return values[0] <= values[2] ? new RampOptions(values[0], values[1], values[2])
            : throw new FormatException($"--ramp '{text}': START must not exceed MAX");
    }

    /// <summary>Runs with parsed options: one run, or a ramp; writes the summary, JSON and plots.</summary>
    public static async Task<int> ExecuteAsync(LoadTestOptions options, RampOptions? ramp, string outputFolder, IAnsiConsole console, bool live, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        try
        {
            Check(options);
        }
        catch (FormatException ex)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return ExitCodes.InvalidInput;
        }

        FrameLibrary frames;
        try
        {
            frames = FrameLibrary.Load(options.ImagesFolder, options.Size, quality: options.Quality);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] cannot make frames from {options.ImagesFolder}: {ex.Message}");
            return ExitCodes.InvalidInput;
        }

        using var channel = FailoverChannel.Create(options.Targets, MaxMessageBytes);
        using var http = new HttpClient();
        var run = new LoadRun(channel, frames, http, options);
        var view = new ProgressView(console, live);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loadtest: {string.Join(", ", options.Targets)}; {frames.PhotoCount} photos, {options.Size}x{options.Size} JPEG at {options.Fps:0.##} fps per stream, {options.Duration.TotalSeconds:0.#} s per run; {options.WebSocketStreams} WebSocket sessions, {options.VideoStreams} video calls besides"));
        if (options.WarmUp > TimeSpan.Zero)
        {
            var warm = options with { Duration = options.WarmUp, FramesPerStream = null, MetricsEndpoints = [], WebSocketStreams = 0, VideoStreams = 0 };
            _ = await new LoadRun(channel, frames, http, warm).RunAsync(1, null, cancellationToken).ConfigureAwait(false);
        }

        if (ramp is null)
        {
            var report = await view.RunAsync(p => run.RunAsync(options.Streams, (r, s) => p(options.Streams, r, s), cancellationToken)).ConfigureAwait(false);
            console.Write(SummaryTable.ForRun(report));
            if (report.Video is { } videoReport)
            {
                console.Write(SummaryTable.ForVideo(videoReport));
            }

            WriteFiles(console, ReportFiles.Write(report, outputFolder));
            return report.Total.Out > 0 || report.Video?.Frames > 0 ? ExitCodes.Ok : ExitCodes.NothingServed;
        }

        var targetMs = options.EffectiveLatencyTarget.TotalMilliseconds;
        var rampReport = await view.RunAsync(p => RunRampAsync(run, ramp, targetMs, p, cancellationToken)).ConfigureAwait(false);
        console.Write(SummaryTable.ForRamp(rampReport));
        var files = ReportFiles.Write(rampReport, outputFolder).ToList();
        if (rampReport.Steps.Count > 0)
        {
            // The heaviest step's time series shows what saturation looks like.
            files.AddRange(ReportFiles.Write(rampReport.Steps[^1], outputFolder));
        }

        WriteFiles(console, files);
        return rampReport.Steps.Any(s => s.Total.Out > 0) ? ExitCodes.Ok : ExitCodes.NothingServed;
    }

    /// <summary>
    /// Runs the ramp's steps in order. Stops after the first step where a host refused (higher counts are refused
    /// too) or after two steps in a row over the latency target (the host is saturated).
    /// </summary>
    public static async Task<RampReport> RunRampAsync(LoadRun run, RampOptions ramp, double targetMs, Action<int, LoadRecorder, TimeSample> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(ramp);
        var steps = new List<RunReport>();
        var overTarget = 0;
        foreach (var count in ramp.Counts())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = await run.RunAsync(count, (r, s) => progress(count, r, s), cancellationToken).ConfigureAwait(false);
            steps.Add(step);
            overTarget = RampReport.Meets(step, targetMs) ? 0 : overTarget + 1;
            if (step.Refused > 0 || overTarget >= 2)
            {
                break;
            }
        }

        return RampReport.From(steps, targetMs);
    }

    private static void WriteFiles(IAnsiConsole console, IEnumerable<string> files)
    {
        foreach (var file in files)
        {
            console.WriteLine("wrote " + file);
        }
    }

    private static int NotNegative(int value, string name) => value >= 0 ? value : throw new FormatException($"{name} must not be negative, got {value}");

    private static T Positive<T>(T value, string name)
        where T : System.Numerics.INumber<T>
        => value > T.Zero ? value : throw new FormatException($"{name} must be positive, got {value}");

    private static void Validate(System.CommandLine.Parsing.OptionResult result, Action parse)
    {
        try
        {
            parse();
        }
        catch (FormatException ex)
        {
            result.AddError(ex.Message);
        }
    }
}
