using System.Globalization;

namespace StreamDiffusion.Soak;

/// <summary>Reads the host's process and session gauges from its Prometheus text at /metrics.</summary>
public sealed class HostSampler(HttpClient http)
{
    /// <summary>Takes one sample; <paramref name="latencies"/> are the client latencies since the last one.</summary>
    public async Task<HostSample> SampleAsync(double seconds, double[] latencies, CancellationToken cancel)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancel);
        var values = Parse(text);
        Array.Sort(latencies);
        return new HostSample(
            Math.Round(seconds, 1),
            Get(values, "process_working_set_bytes") / (1024 * 1024),
            Get(values, "dotnet_total_memory_bytes") / (1024 * 1024),
            Get(values, "process_num_threads"),
            Get(values, "process_open_handles"),
            Get(values, "streamdiffusion_sessions_active"),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            latencies.Length);
    }

    /// <summary>Unlabelled samples of a Prometheus text exposition, by metric name.</summary>
    public static Dictionary<string, double> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#' || line.Contains('{', StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                values[line[..space]] = v;
            }
        }

        return values;
    }

    private static double Get(Dictionary<string, double> values, string name) =>
        values.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"/metrics has no {name}");

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * sorted.Length))];
}
