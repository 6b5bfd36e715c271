using System.Diagnostics;
using System.Globalization;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// Watches a live HLS playlist the way a player does (polling it every <see cref="PollInterval"/>) and records
/// when each segment first appears and how long it is: what <c>bench broadcast</c> reports about the HLS output.
/// </summary>
internal sealed class HlsPlaylistProbe
{
    /// <summary>How often the playlist is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    private readonly List<(string Name, double Seconds, long SeenAt)> _segments = [];

    /// <summary>Segments seen, in order.</summary>
    public int Segments => _segments.Count;

    /// <summary>Mean segment length from the playlist's EXTINF (s).</summary>
    public double MeanSegmentSeconds => _segments.Count == 0 ? 0 : _segments.Average(s => s.Seconds);

    /// <summary>Mean time between two segments appearing in the playlist (s): the cadence a player gets new video at.</summary>
    public double MeanListingIntervalSeconds =>
        _segments.Count < 2 ? 0 : Stopwatch.GetElapsedTime(_segments[0].SeenAt, _segments[^1].SeenAt).TotalSeconds / (_segments.Count - 1);

    /// <summary>Polls <paramref name="playlist"/> until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(HttpClient http, Uri playlist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var known = new HashSet<string>(StringComparer.Ordinal);
        var first = true;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using (var response = await http.GetAsync(playlist, cancellationToken).ConfigureAwait(false))
                {
                    if (response.IsSuccessStatusCode)
                    {
                        var now = Stopwatch.GetTimestamp();
                        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                        foreach (var (name, seconds) in Parse(text))
                        {
                            // The first playlist lists segments made before the probe looked: only later ones are timed.
                            if (known.Add(name) && !first)
                            {
                                _segments.Add((name, seconds, now));
                            }
                        }

                        first = false;
                    }
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
        catch (HttpRequestException)
        {
            // The host went away with the run.
        }
    }

    private static IEnumerable<(string Name, double Seconds)> Parse(string playlist)
    {
        double? seconds = null;
        foreach (var raw in playlist.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                seconds = double.Parse(line["#EXTINF:".Length..].TrimEnd(','), NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            else if (line.Length > 0 && !line.StartsWith('#') && seconds is { } s)
            {
                yield return (line, s);
                seconds = null;
            }
        }
    }
}
