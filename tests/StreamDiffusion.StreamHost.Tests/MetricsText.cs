using System.Globalization;
using System.Text.RegularExpressions;

namespace StreamDiffusion.StreamHost.Tests;

/// <summary>A parsed Prometheus text exposition (format 0.0.4).</summary>
internal sealed partial class MetricsText
{
    private readonly Dictionary<string, double> _samples;

    private MetricsText(Dictionary<string, double> samples, string contentType)
    {
        _samples = samples;
        ContentType = contentType;
    }

    public string ContentType { get; }

    public static async Task<MetricsText> ReadAsync(LoopbackHost host)
    {
        using var response = await host.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync();
        return Parse(text, response.Content.Headers.ContentType?.ToString() ?? string.Empty);
    }

    /// <summary>Parses every line; fails on anything that is not a comment or "name{labels} value".</summary>
    public static MetricsText Parse(string text, string contentType)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                Assert.Matches(CommentLine(), line);
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, "not a Prometheus sample line: " + line);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples[match.Groups["name"].Value + match.Groups["labels"].Value] = value;
        }

        return new MetricsText(samples, contentType);
    }

    /// <summary>The value of a sample, e.g. Value("x_total") or Value("x_total", "reason=\"capacity\"").</summary>
    public double Value(string name, string? labels = null)
    {
        var key = labels is null ? name : name + "{" + labels + "}";
        Assert.True(_samples.TryGetValue(key, out var value), "missing sample " + key);
        return value;
    }

    [GeneratedRegex(@"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$")]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{[^}]*\})? (?<value>\S+)( \d+)?$")]
    private static partial Regex SampleLine();
}
