namespace StreamDiffusion.LoadTest.Metrics;

/// <summary>One scrape of one host's /metrics.</summary>
/// <param name="Endpoint">The web address scraped.</param>
/// <param name="Samples">Values by "name{labels}".</param>
/// <param name="Error">Why the scrape failed (null when it worked).</param>
public sealed record MetricsSnapshot(string Endpoint, IReadOnlyDictionary<string, double> Samples, string? Error)
{
    /// <summary>A sample's value, or null when absent.</summary>
    public double? Value(string key) => Samples.TryGetValue(key, out var v) ? v : null;
}
