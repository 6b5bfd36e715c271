using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Serving;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.StreamHost.Cli.Fairness;

/// <summary>
/// Runs the fairness measurement against a host started in this process on loopback (real gRPC, the configured or
/// embedded default model): optionally a calibration with as many greedy streams as paced ones, then the paced
/// streams alone, then the same paced streams beside the greedy ones, and reports each paced stream's fps beside
/// the greedy streams over its fps alone.
/// </summary>
public static class FairnessBench
{
    /// <summary>Runs the phases; <paramref name="progress"/> gets a line per phase.</summary>
    public static async Task<FairnessReport> RunAsync(FairnessOptions options, string command, Action<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loadBefore = LoadAverage();
        string[] args =
        [
            "--Listen:GrpcUrl=http://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0",
            "--Serilog:MinimumLevel:Default=Warning", "--Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime=Warning",
            string.Create(CultureInfo.InvariantCulture, $"--Limits:MaxSessions={options.PacedStreams + options.GreedyStreams + 4}"),
            .. options.Model is null ? Array.Empty<string>() : [$"--Models:Packs:default:Path={Path.GetFullPath(options.Model)}"],
            .. options.Workers is { } workers ? [string.Create(CultureInfo.InvariantCulture, $"--Models:Packs:default:Options:Workers={workers}")] : Array.Empty<string>(),
        ];
        var app = ServeCommand.Build(args);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            using var channel = GrpcChannel.ForAddress(app.Services.GetRequiredService<HostEndpoints>().GrpcAddress);
            var client = new Client(channel);
            var frames = Frames(options.Size);

            double? capacity = null;
            var pacedFps = options.PacedFps;
            if (pacedFps <= 0)
            {
                var calibration = await RunPhaseAsync("calibration", client, frames, options, options.PacedStreams, 0, 0, options.Calibration, cancellationToken).ConfigureAwait(false);
                capacity = Math.Round(calibration.Streams.Sum(s => s.Fps), 2);
                pacedFps = Math.Max(0.5, Math.Round(capacity.Value * options.PacedLoad / options.PacedStreams * 2, MidpointRounding.AwayFromZero) / 2);
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"calibration: {options.PacedStreams} greedy streams got {capacity:0.0} fps together; paced streams send {pacedFps:0.0} fps each"));
            }

            var alone = await RunPhaseAsync("paced alone", client, frames, options, options.PacedStreams, pacedFps, 0, options.Window, cancellationToken).ConfigureAwait(false);
            progress?.Invoke(Describe(alone));
            var contended = await RunPhaseAsync("paced with greedy", client, frames, options, options.PacedStreams, pacedFps, options.GreedyStreams, options.Window, cancellationToken).ConfigureAwait(false);
            progress?.Invoke(Describe(contended));

            var ratios = alone.Streams.Zip(contended.Streams.Where(s => s.Role == "paced"))
                .Select(pair => pair.First.Fps > 0 ? Math.Round(pair.Second.Fps / pair.First.Fps, 3) : 0)
                .ToArray();
            var machine = new FairnessMachine(Environment.ProcessorCount, CpuModel(), RuntimeInformation.OSDescription, loadBefore, LoadAverage());
            return new FairnessReport(command, machine, options.Model ?? "embedded default (synthetic)", options.Size, pacedFps, capacity, alone, contended, ratios);
        }
    }

    private static async Task<FairnessPhase> RunPhaseAsync(
        string name, Client client, IReadOnlyList<ByteString> frames, FairnessOptions options, int paced, double pacedFps, int greedy, TimeSpan window, CancellationToken cancellationToken)
    {
        var streams = Enumerable.Range(0, paced).Select(_ => new FairnessClient(client, "paced", pacedFps, options.Size, frames))
            .Concat(Enumerable.Range(0, greedy).Select(_ => new FairnessClient(client, "greedy", 0, options.Size, frames)))
            .Select(stream => Task.Run(() => stream.RunAsync(options.Settle, window, cancellationToken), cancellationToken))
            .ToArray();
        var results = await Task.WhenAll(streams).ConfigureAwait(false);
        return new FairnessPhase(name, window.TotalSeconds, results);
    }

    private static string Describe(FairnessPhase phase) =>
        phase.Name + ": " + string.Join(", ", phase.Streams.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{s.Role} {s.Fps:0.00} fps ({s.LatencyMsMean:0} ms, {s.Dropped} dropped)")));

    // Eight different frames, so every frame is real work (the similarity filter is off, and the input changes).
    private static ByteString[] Frames(int size)
    {
        var random = new Random(42);
        return [.. Enumerable.Range(0, 8).Select(_ =>
        {
            var data = new byte[size * size * 3];
            random.NextBytes(data);
            return ByteString.CopyFrom(data);
        })];
    }

    private static double LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? string.Empty : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
