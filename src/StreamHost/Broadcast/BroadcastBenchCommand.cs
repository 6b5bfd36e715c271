using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using Spectre.Console;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// <c>bench broadcast [--seconds 30] [--fps 30] [--size 512] [--model DIR] [--echo] [--keyframe-interval N] [--json]</c>: starts a host in
/// this process with broadcasting on, pushes an ffmpeg <c>testsrc2</c> (640x480) over SRT in real time, plays the
/// output over SRT with a second ffmpeg, watches the HLS playlist as a player would, and reports what the host
/// measured: frames in/out/dropped, host latency per frame (decoded → handed to the encoder), the ffmpeg decoder's
/// and encoder's CPU time per frame, and the HLS segment length and cadence.
/// </summary>
public static partial class BroadcastBenchCommand
{
    private const string Key = "bench";

    /// <summary>Builds the <c>bench broadcast</c> command.</summary>
    public static Command Create()
    {
        var seconds = new Option<int>("--seconds") { Description = "Length of the pushed test stream", DefaultValueFactory = _ => 30 };
        var fps = new Option<int>("--fps") { Description = "Frame rate of the pushed test stream", DefaultValueFactory = _ => 30 };
        var size = new Option<int>("--size") { Description = "Session size (square, multiple of 8)", DefaultValueFactory = _ => 512 };
        var model = new Option<string?>("--model") { Description = "Model pack folder (default: the host's default pack)" };
        var echo = new Option<bool>("--echo") { Description = "Echo processor instead of diffusion: measures the transport and codecs alone" };
        var keyframes = new Option<int?>("--keyframe-interval") { Description = "Output keyframe interval in frames (Broadcast:OutputKeyframeInterval; sets the HLS segment floor)" };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON to stdout" };
        var command = new Command("broadcast", "Push a testsrc2 stream over SRT through the host and report broadcast latency and loss")
        {
            seconds, fps, size, model, echo, keyframes, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var report = await RunAsync(parse.GetValue(seconds), parse.GetValue(fps), parse.GetValue(size), parse.GetValue(model),
                parse.GetValue(echo), parse.GetValue(keyframes), cancellationToken).ConfigureAwait(false);
            if (report is null)
            {
                return 1;
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            }
            else
            {
                Print(report);
            }

            return 0;
        });
        return command;
    }

    private static async Task<BroadcastBenchReport?> RunAsync(int seconds, int fps, int size, string? model, bool echo, int? keyframes,
        CancellationToken cancellationToken)
    {
        string[] args =
        [
            "--Listen:GrpcUrl=http://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0",
            "--Serilog:MinimumLevel:Default=Warning", "--Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime=Warning",
            "--Broadcast:Enabled=true", "--Broadcast:SrtPort=0", "--Broadcast:SrtOutputPort=0", "--Broadcast:RtmpPort=-1",
            "--Broadcast:SrtLatencyMs=40",
            $"--Broadcast:Keys:{Key}:Prompt=a watercolor painting", $"--Broadcast:Keys:{Key}:Width={size}", $"--Broadcast:Keys:{Key}:Height={size}",
            .. model is null ? Array.Empty<string>() : [$"--Models:Packs:default:Path={Path.GetFullPath(model)}"],
            .. keyframes is { } gop ? [string.Create(CultureInfo.InvariantCulture, $"--Broadcast:OutputKeyframeInterval={gop}")] : Array.Empty<string>(),
        ];
        var app = ServeCommand.Build(args, services =>
        {
            if (echo)
            {
                services.RemoveAll<IStreamProcessorFactory>();
                services.AddSingleton<IStreamProcessorFactory, EchoStreamProcessorFactory>();
            }
        });
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var server = app.Services.GetRequiredService<BroadcastServer>();
            var options = server.Options;
            var latency = $"latency={40_000}";
            var push = FfmpegProcess.Start(options.FfmpegPath,
            [
                "-hide_banner", "-nostats", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", string.Create(CultureInfo.InvariantCulture, $"testsrc2=size=640x480:rate={fps}"), "-t", seconds.ToString(CultureInfo.InvariantCulture),
                "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", fps.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p",
                "-f", "mpegts", $"srt://127.0.0.1:{server.SrtPort}?streamid={Key}&{latency}",
            ]);
            using (push)
            {
                var started = Stopwatch.GetTimestamp();
                BroadcastSession? session = null;
                while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20) && !(server.TryGetLive(Key, out session) && session.EncoderPid is not null))
                {
                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }

                if (session is null)
                {
                    await Console.Error.WriteLineAsync("bench broadcast: the pushed stream never started a session: " + push.ErrorTail).ConfigureAwait(false);
                    return null;
                }

                var playerFrames = 0L;
                var player = FfmpegProcess.Start(options.FfmpegPath,
                [
                    "-hide_banner", "-nostats", "-loglevel", "error", "-i", $"srt://127.0.0.1:{server.SrtOutputPort}?streamid={Key}&{latency}",
                    "-an", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1",
                ]);
                using var probing = new CancellationTokenSource();
                using var http = new HttpClient { BaseAddress = app.Services.GetRequiredService<HostEndpoints>().HttpAddress };
                var hls = new HlsPlaylistProbe();
                var probe = hls.RunAsync(http, new Uri(HlsEndpoint.PlaylistPath(Key), UriKind.Relative), probing.Token);
                using (player)
                {
                    var reading = Task.Run(async () =>
                    {
                        var frame = new byte[size * size * 3];
                        while (await player.Output.ReadAtLeastAsync(frame, frame.Length, throwOnEndOfStream: false, CancellationToken.None).ConfigureAwait(false) == frame.Length)
                        {
                            Interlocked.Increment(ref playerFrames);
                        }
                    }, CancellationToken.None);

                    await push.WaitForExitAsync(TimeSpan.FromSeconds(seconds + 30)).ConfigureAwait(false);
                    var ended = Stopwatch.GetTimestamp();
                    await probing.CancelAsync().ConfigureAwait(false);
                    await probe.ConfigureAwait(false);
                    while (server.TryGetLive(Key, out _) && Stopwatch.GetElapsedTime(ended) < TimeSpan.FromSeconds(10))
                    {
                        await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                    }

                    await reading.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    var duration = Stopwatch.GetElapsedTime(started, ended).TotalSeconds;
                    var metrics = await ReadMetricsAsync(app.Services.GetRequiredService<HostMetrics>().Registry).ConfigureAwait(false);
                    var report = BroadcastBenchReport.From(metrics, seconds, fps, size, echo ? "echo" : "diffusion", duration, Interlocked.Read(ref playerFrames),
                        server.LastOutcome(Key) ?? "?") with
                    {
                        HlsSegments = hls.Segments,
                        HlsSegmentMeanSeconds = hls.MeanSegmentSeconds,
                        HlsListingIntervalSeconds = hls.MeanListingIntervalSeconds,
                    };
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    return report;
                }
            }
        }
    }

    private static async Task<Dictionary<string, double>> ReadMetricsAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream).ConfigureAwait(false);
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n'))
        {
            var match = Sample().Match(line);
            if (match.Success && double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples[match.Groups["key"].Value] = value;
            }
        }

        return samples;
    }

    private static void Print(BroadcastBenchReport r)
    {
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("pushed", $"{r.Seconds} s testsrc2 640x480 @ {r.InputFps} fps over SRT, session {r.Size}x{r.Size}, {r.Processor}");
        Row("frames in (decoded) / out (encoded) / dropped", $"{r.FramesIn} / {r.FramesOut} / {r.FramesDropped}");
        Row("output fps / input fps", $"{r.OutputFps:F1} / {r.InputFps}");
        Row("frames the SRT player received", r.PlayerFrames.ToString(CultureInfo.InvariantCulture));
        Row("host latency mean / p50 / p95 (ms)", $"{r.LatencyMeanMs:F1} / {r.LatencyP50Ms:F1} / {r.LatencyP95Ms:F1}");
        Row("decoder CPU per frame (ms)", $"{r.DecoderCpuMsPerFrame:F2}");
        Row("encoder CPU per frame (ms)", $"{r.EncoderCpuMsPerFrame:F2}");
        Row("encoder hand-off mean (ms)", $"{r.EncoderWriteMeanMs:F2}");
        Row("HLS segments listed / mean length (s)", $"{r.HlsSegments} / {r.HlsSegmentMeanSeconds:F2}");
        Row("HLS listing interval mean (s)", $"{r.HlsListingIntervalSeconds:F2}");
        Row("HLS player latency, 3-segment hold-back (s, estimate)", $"{r.HlsPlayerLatencyEstimateSeconds:F2}");
        Row("session outcome", r.Outcome);
        AnsiConsole.Write(table);
    }

    [GeneratedRegex(@"^(?<key>[a-z_]+(\{[^}]*\})?) (?<value>\S+)$")]
    private static partial Regex Sample();
}
