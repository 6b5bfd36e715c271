using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using StreamDiffusion.Pipeline.Benchmarks;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>bench [--model DIR|default] [--compute-layers N] [--compute-channels N] [--size 512] [--sizes 256,512,768] [--frames N]
/// [--warmup N] [--filter-frames N] [--photo FILE] [--provider cpu|cuda|tensorrt] [--threads N]
/// [--spinning] [--thread-pools per-session|global] [--quick] [--json]</c>:
/// runs <see cref="PipelineBenchmark"/> in this process and prints a table of the ratios (DESIGN.md section 8).
/// </summary>
/// <remarks>
/// With <c>--json</c> the JSON report is the only thing written to stdout; the progress display and the
/// table go to stderr, so <c>bench --json &gt; report.json</c> keeps a clean file. Exit code 0 on success,
/// 1 on bad options or a failed model load, 130 when cancelled.
/// </remarks>
public static class BenchCommand
{
    private static readonly (string Key, string Meaning)[] s_rows =
    [
        ("stream_batch_vs_sequential[2]", "Stream Batch over sequential steps, n = 2 (throughput ratio)"),
        ("stream_batch_vs_sequential[4]", "Stream Batch over sequential steps, n = 4"),
        ("zero_latency_fps[2]", "zero-latency mode (all steps of a frame in its call), n = 2: frames/s"),
        ("latency_ms[stream_batch[2]]", "n = 2 Stream Batch: ms from a frame's input to its output"),
        ("latency_ms[zero_latency[2]]", "n = 2 zero-latency: ms from a frame's input to its output"),
        ("rcfg_self_vs_full", "self residual CFG over full CFG"),
        ("rcfg_initialize_vs_full", "initialize residual CFG over full CFG"),
        ("ssf_static_unet_calls_saved", "similarity filter: UNet calls saved, static input"),
        ("ssf_moving_unet_calls_saved", "similarity filter: UNet calls saved, moving input"),
        ("engine_batched_vs_separate_4_streams", "4 streams on one micro-batching engine over an engine each"),
        ("overhead_ms_per_frame", "ms per frame outside the ONNX sessions (JPEG excluded)"),
        ("overhead_parts_ms[rgb24_tensor_conversion]", "of which: RGB24 <-> tensor conversion, both directions"),
        ("overhead_parts_ms[engine_hand_off_wait]", "of which: submission to start of the frame's engine calls (0 when a lone stream's calls run inline)"),
        ("overhead_parts_ms[rest]", "of which: scheduler math, output checks, thread hops, bookkeeping"),
        ("outside_onnx_share", "share of a single-stream frame outside the ONNX sessions"),
        ("frame_ms_single_stream", "ms per frame, one stream, raw RGB24 in and out"),
        ("fps_4_streams_shared", "frames/s of 4 streams on the shared engine"),
        ("onnx_floor_ms_per_frame", "ms of the frame's ONNX calls back to back in a bare loop"),
        ("onnx_vs_floor[1]", "one stream: time inside ONNX over the floor"),
        ("onnx_vs_floor[4]", "4 streams, shared engine: time inside ONNX (calls summed) over the floor"),
        ("codec_ms_per_frame", "ms per frame of JPEG decode + encode"),
        ("alloc_bytes_per_frame", "managed bytes allocated per frame, steady state"),
    ];

    /// <summary>Builds the <c>bench</c> command.</summary>
    public static Command Create()
    {
        var defaults = new BenchmarkOptions();
        var model = new Option<string>("--model") { Description = "Model pack folder, or 'default' to synthesize a compute-heavy pack for the run", DefaultValueFactory = _ => "default" };
        var computeLayers = new Option<int>("--compute-layers") { Description = "Extra 3x3 conv layers in the synthesized UNet (compute-bound like a real UNet)", DefaultValueFactory = _ => defaults.ComputeLayers };
        var computeChannels = new Option<int>("--compute-channels") { Description = "Channel width of those layers", DefaultValueFactory = _ => defaults.ComputeChannels };
        var size = new Option<int>("--size") { Description = "Frame side in pixels (square, multiple of 8)", DefaultValueFactory = _ => defaults.Size };
        var frames = new Option<int>("--frames") { Description = "Timed frames per contender of each measurement", DefaultValueFactory = _ => defaults.Frames };
        var warmup = new Option<int>("--warmup") { Description = "Untimed frames per contender first (fills the Stream Batch buffer)", DefaultValueFactory = _ => defaults.Warmup };
        var filterFrames = new Option<int>("--filter-frames") { Description = "Frames per similarity-filter input (static and moving)", DefaultValueFactory = _ => defaults.FilterFrames };
        var sizes = new Option<string?>("--sizes") { Description = "Also run the overhead phase at these frame sizes, comma-separated (e.g. 256,512,768): overhead_by_size in the report" };
        var photo = new Option<FileInfo?>("--photo") { Description = "Photo the moving input pans over (default: a generated test card)" };
        var provider = new Option<string>("--provider") { Description = "Execution provider: cpu, cuda or tensorrt", DefaultValueFactory = _ => "cpu" };
        provider.AcceptOnlyFromAmong("cpu", "cuda", "tensorrt");
        var quick = new Option<bool>("--quick") { Description = "Small preset (128 px, light UNet, few frames) that runs in seconds; explicit options still apply" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads of the CPU sessions (0: one per physical core)" };
        var spinning = new Option<bool>("--spinning") { Description = "Let idle ONNX Runtime threads spin (off by default)" };
        var threadPools = new Option<string>("--thread-pools") { Description = "CPU thread pools: per-session or global (one pool for all sessions)", DefaultValueFactory = _ => "per-session" };
        threadPools.AcceptOnlyFromAmong("per-session", "global");
        var json = new Option<bool>("--json") { Description = "Write the report as JSON to stdout (table and progress go to stderr)" };

        var command = new Command("bench", "Measure Stream Batch, residual CFG, the similarity filter, engine batching, overhead and allocations on this machine")
        {
            model, computeLayers, computeChannels, size, sizes, frames, warmup, filterFrames, photo, provider, threads, spinning, threadPools, quick, json,
        };
        command.Subcommands.Add(LongVideoBenchCommand.Create());
        command.Subcommands.Add(Fairness.FairnessBenchCommand.Create());

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var asJson = parseResult.GetValue(json);
            var console = asJson
                ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
                : AnsiConsole.Console;

            // Explicit options override the preset; defaults do not.
            T Pick<T>(Option<T> option, T preset) => parseResult.GetResult(option) is { Implicit: false } ? parseResult.GetValue(option)! : preset;

            var preset = parseResult.GetValue(quick) ? BenchmarkOptions.QuickPreset : new BenchmarkOptions();
            var modelValue = parseResult.GetValue(model) ?? "default";
            var options = preset with
            {
                ModelDirectory = string.Equals(modelValue, "default", StringComparison.OrdinalIgnoreCase) ? null : modelValue,
                ComputeLayers = Pick(computeLayers, preset.ComputeLayers),
                ComputeChannels = Pick(computeChannels, preset.ComputeChannels),
                Size = Pick(size, preset.Size),
                Frames = Pick(frames, preset.Frames),
                Warmup = Pick(warmup, preset.Warmup),
                FilterFrames = Pick(filterFrames, preset.FilterFrames),
                PhotoPath = parseResult.GetValue(photo)?.FullName,
                PackOptions = new ModelPackOptions
                {
                    Provider = parseResult.GetValue(provider) switch
                    {
                        "cuda" => ExecutionProvider.Cuda,
                        "tensorrt" => ExecutionProvider.TensorRT,
                        _ => ExecutionProvider.Cpu,
                    },
                    IntraOpThreads = parseResult.GetValue(threads),
                    AllowSpinning = parseResult.GetValue(spinning),
                    ThreadPools = parseResult.GetValue(threadPools) == "global" ? CpuThreadPools.Global : CpuThreadPools.PerSession,
                },
            };

            try
            {
                options = options with { OverheadSizes = ParseSizes(parseResult.GetValue(sizes)) };
                options.Validate();
                var report = await RunAsync(options, console, cancellationToken).ConfigureAwait(false);
                Write(report, console);
                if (asJson)
                {
                    await Console.Out.WriteLineAsync(report.ToJson()).ConfigureAwait(false);
                }

                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                console.MarkupLine("[yellow]cancelled[/]");
                return 130;
            }
            catch (Exception ex) when (ex is ArgumentException or ModelPackException or IOException or InvalidDataException)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return 1;
            }
        });
        command.Subcommands.Add(Broadcast.BroadcastBenchCommand.Create());
        return command;
    }

    /// <summary>Runs the benchmark under a progress display (Spectre's plain fallback when the console is redirected).</summary>
    internal static Task<BenchmarkReport> RunAsync(BenchmarkOptions options, IAnsiConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.MarkupLineInterpolated(
            $"[bold]bench[/] {(options.ModelDirectory ?? $"synthetic pack, {options.ComputeLayers} compute layers x {options.ComputeChannels} channels")}, {options.Size}x{options.Size}, {options.Frames} frames (+{options.Warmup} warm-up) per contender");

        // No auto refresh: a refresh thread would allocate during the allocation measurement; the
        // benchmark reports between timed chunks and the display redraws only then.
        return console.Progress()
            .AutoRefresh(false)
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = PipelineBenchmark.Phases.Select(name => context.AddTask(Markup.Escape(name), autoStart: false, maxValue: 1)).ToArray();
                var gate = new object();
                void OnProgress(BenchmarkProgress p)
                {
                    lock (gate)
                    {
                        for (var i = 0; i < p.PhaseIndex; i++)
                        {
                            if (!tasks[i].IsFinished)
                            {
                                tasks[i].Value = 1;
                                tasks[i].StopTask();
                            }
                        }

                        var task = tasks[p.PhaseIndex];
                        if (!task.IsStarted)
                        {
                            task.StartTask();
                        }

                        task.Value = p.Fraction;
                        if (p.Fraction >= 1 && p.PhaseIndex == p.PhaseCount - 1)
                        {
                            task.StopTask();
                        }

                        context.Refresh();
                    }
                }

                return await PipelineBenchmark.RunAsync(options, OnProgress, cancellationToken).ConfigureAwait(false);
            });
    }

    /// <summary>Renders the report: the ratios with their meaning, the raw measurements, the machine.</summary>
    internal static void Write(BenchmarkReport report, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(console);
        var results = new Table().Title("results").AddColumns("key", "value", "meaning");
        foreach (var (key, meaning) in s_rows)
        {
            results.AddRow(Markup.Escape(key), Format(Value(report, key)), Markup.Escape(meaning));
        }

        console.Write(results);

        var raw = new Table().Title("measurements").AddColumns("what", "value", "unit");
        foreach (var detail in report.Details)
        {
            raw.AddRow(Markup.Escape(detail.Name), Format(detail.Value), Markup.Escape(detail.Unit));
        }

        console.Write(raw);
        var m = report.Machine;
        console.MarkupLineInterpolated($"[grey]{m.Cores} cores ({m.Cpu}), {m.MemoryGb} GB, {m.Os}, {m.Dotnet}, ONNX Runtime {m.OrtVersion} on {m.OrtProvider}; codec {report.Settings.Codec}[/]");
    }

    private static double Value(BenchmarkReport report, string key) => key switch
    {
        "stream_batch_vs_sequential[2]" => report.StreamBatchVsSequential["2"],
        "stream_batch_vs_sequential[4]" => report.StreamBatchVsSequential["4"],
        "zero_latency_fps[2]" => report.ZeroLatencyFps["2"],
        "latency_ms[stream_batch[2]]" => report.LatencyMs["stream_batch[2]"],
        "latency_ms[zero_latency[2]]" => report.LatencyMs["zero_latency[2]"],
        "rcfg_self_vs_full" => report.RcfgSelfVsFull,
        "rcfg_initialize_vs_full" => report.RcfgInitializeVsFull,
        "ssf_static_unet_calls_saved" => report.SsfStaticUnetCallsSaved,
        "ssf_moving_unet_calls_saved" => report.SsfMovingUnetCallsSaved,
        "engine_batched_vs_separate_4_streams" => report.EngineBatchedVsSeparate4Streams,
        "overhead_ms_per_frame" => report.OverheadMsPerFrame,
        "overhead_parts_ms[rgb24_tensor_conversion]" => report.OverheadPartsMs["rgb24_tensor_conversion"],
        "overhead_parts_ms[engine_hand_off_wait]" => report.OverheadPartsMs["engine_hand_off_wait"],
        "overhead_parts_ms[rest]" => report.OverheadPartsMs["rest"],
        "outside_onnx_share" => report.OutsideOnnxShare,
        "frame_ms_single_stream" => report.FrameMsSingleStream,
        "fps_4_streams_shared" => report.FramesPerSecond4Streams,
        "onnx_floor_ms_per_frame" => report.OnnxFloorMsPerFrame,
        "onnx_vs_floor[1]" => report.OnnxVsFloor["1"],
        "onnx_vs_floor[4]" => report.OnnxVsFloor["4"],
        "codec_ms_per_frame" => report.CodecMsPerFrame,
        "alloc_bytes_per_frame" => report.AllocBytesPerFrame,
        _ => double.NaN,
    };

    // "256,512,768" → [256, 512, 768]; a bad entry is an ArgumentException naming it (exit code 1).
    private static int[] ParseSizes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
            {
                throw new ArgumentException($"sizes: '{parts[i]}' is not a whole number of pixels (expected e.g. 256,512,768)", nameof(text));
            }
        }

        return result;
    }

    private static string Format(double value) =>
        Math.Abs(value) >= 1000 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);
}
