using System.Globalization;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>What <c>bench broadcast</c> measured, from the host's broadcast metrics after one pushed stream.</summary>
public sealed record BroadcastBenchReport
{
    public int Seconds { get; init; }

    public int InputFps { get; init; }

    public int Size { get; init; }

    public required string Processor { get; init; }

    public double FramesIn { get; init; }

    public double FramesOut { get; init; }

    public double FramesDropped { get; init; }

    public double OutputFps { get; init; }

    public long PlayerFrames { get; init; }

    public double LatencyMeanMs { get; init; }

    /// <summary>Median host latency, interpolated within the histogram's buckets.</summary>
    public double LatencyP50Ms { get; init; }

    /// <summary>95th percentile host latency, interpolated within the histogram's buckets.</summary>
    public double LatencyP95Ms { get; init; }

    public double DecoderCpuMsPerFrame { get; init; }

    public double EncoderCpuMsPerFrame { get; init; }

    public double EncoderWriteMeanMs { get; init; }

    public required string Outcome { get; init; }

    /// <summary>HLS segments that appeared in the playlist during the run.</summary>
    public int HlsSegments { get; init; }

    /// <summary>Mean HLS segment length (s, the playlist's EXTINF).</summary>
    public double HlsSegmentMeanSeconds { get; init; }

    /// <summary>Mean time between two HLS segments appearing in the playlist (s).</summary>
    public double HlsListingIntervalSeconds { get; init; }

    /// <summary>
    /// Latency of a player holding 3 segments back from the live edge (hls.js and Safari do): host latency plus three
    /// mean segments. An estimate from measured parts, not a glass-to-glass measurement.
    /// </summary>
    public double HlsPlayerLatencyEstimateSeconds => HlsSegments == 0 ? 0 : (LatencyMeanMs / 1000) + (3 * HlsSegmentMeanSeconds);

    /// <summary>Builds the report from /metrics samples ("name{labels}" → value).</summary>
    public static BroadcastBenchReport From(IReadOnlyDictionary<string, double> m, int seconds, int fps, int size, string processor,
        double durationSeconds, long playerFrames, string outcome)
    {
        ArgumentNullException.ThrowIfNull(m);
        double Get(string key) => m.TryGetValue(key, out var v) ? v : 0;
        double PerFrame(string role) =>
            Get($"streamdiffusion_broadcast_codec_frames_total{{role=\"{role}\"}}") is var frames and > 0
                ? 1000 * Get($"streamdiffusion_broadcast_codec_cpu_seconds_total{{role=\"{role}\"}}") / frames
                : 0;
        var count = Get("streamdiffusion_broadcast_latency_seconds_count");
        var writes = Get("streamdiffusion_broadcast_encoder_write_seconds_count");
        var framesOut = Get("streamdiffusion_broadcast_frames_total{direction=\"out\"}");
        return new BroadcastBenchReport
        {
            Seconds = seconds,
            InputFps = fps,
            Size = size,
            Processor = processor,
            FramesIn = Get("streamdiffusion_broadcast_frames_total{direction=\"in\"}"),
            FramesOut = framesOut,
            FramesDropped = Get("streamdiffusion_broadcast_frames_total{direction=\"dropped\"}"),
            OutputFps = durationSeconds > 0 ? framesOut / durationSeconds : 0,
            PlayerFrames = playerFrames,
            LatencyMeanMs = count > 0 ? 1000 * Get("streamdiffusion_broadcast_latency_seconds_sum") / count : 0,
            LatencyP50Ms = 1000 * Quantile(m, "streamdiffusion_broadcast_latency_seconds", 0.5),
            LatencyP95Ms = 1000 * Quantile(m, "streamdiffusion_broadcast_latency_seconds", 0.95),
            DecoderCpuMsPerFrame = PerFrame("decoder"),
            EncoderCpuMsPerFrame = PerFrame("encoder"),
            EncoderWriteMeanMs = writes > 0 ? 1000 * Get("streamdiffusion_broadcast_encoder_write_seconds_sum") / writes : 0,
            Outcome = outcome,
        };
    }

    /// <summary>A quantile of a Prometheus histogram, linear within the bucket it falls in (as histogram_quantile does).</summary>
    public static double Quantile(IReadOnlyDictionary<string, double> m, string histogram, double q)
    {
        ArgumentNullException.ThrowIfNull(m);
        var prefix = histogram + "_bucket{le=\"";
        var buckets = m.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => (Le: p.Key[prefix.Length..^2] is var le && le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), Count: p.Value))
            .OrderBy(b => b.Le)
            .ToList();
        if (buckets.Count == 0 || buckets[^1].Count <= 0)
        {
            return 0;
        }

        var rank = q * buckets[^1].Count;
        var (lowerLe, lowerCount) = (0.0, 0.0);
        foreach (var (le, count) in buckets)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(le))
                {
                    return lowerLe;
                }

                return count == lowerCount ? le : lowerLe + ((le - lowerLe) * (rank - lowerCount) / (count - lowerCount));
            }

            (lowerLe, lowerCount) = (le, count);
        }

        return lowerLe;
    }
}
