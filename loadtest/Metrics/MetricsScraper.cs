using System.Globalization;

namespace StreamDiffusion.LoadTest.Metrics;

/// <summary>
/// Reads a host's Prometheus <c>/metrics</c> and keeps the samples a load test cares about: the host's own
/// <c>streamdiffusion_*</c> series (histogram buckets left out) and the process's memory and CPU.
/// </summary>
public static class MetricsScraper
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    /// <summary>The samples of one scrape by "name{labels}", or an error text when the endpoint did not answer.</summary>
    public static async Task<MetricsSnapshot> ScrapeAsync(HttpClient http, Uri endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        try
        {
            var text = await http.GetStringAsync(new Uri(endpoint, "/metrics"), timeout.Token).ConfigureAwait(false);
            return new MetricsSnapshot(endpoint.ToString(), Parse(text), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return new MetricsSnapshot(endpoint.ToString(), new Dictionary<string, double>(), ex.Message);
        }
    }

    /// <summary>Parses Prometheus text format, keeping streamdiffusion_* (no buckets) and process memory/CPU.</summary>
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || line.Contains("_bucket{", StringComparison.Ordinal))
            {
                continue;
            }

            if (!line.StartsWith("streamdiffusion_", StringComparison.Ordinal)
                && !line.StartsWith("process_working_set_bytes", StringComparison.Ordinal)
                && !line.StartsWith("process_cpu_seconds_total", StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples[line[..space]] = value;
            }
        }

        return samples;
    }
}
