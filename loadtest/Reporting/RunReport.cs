using StreamDiffusion.LoadTest.Metrics;
using StreamDiffusion.LoadTest.Running;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>Everything one run at a fixed stream count measured.</summary>
/// <param name="Streams">Concurrent streams.</param>
/// <param name="TargetFps">Frames per second each stream was due to send.</param>
/// <param name="Seconds">Wall time of the run.</param>
/// <param name="Total">All replicas together.</param>
/// <param name="Replicas">Each replica.</param>
/// <param name="Unsent">Frame slots not sent (reconnecting, or too many unanswered frames).</param>
/// <param name="Lost">Frames sent and never answered.</param>
/// <param name="Errors">Calls ended by an error, by status code name.</param>
/// <param name="Samples">The time series.</param>
/// <param name="StreamResults">Each stream's calls and exactly which frames it lost.</param>
/// <param name="MetricsBefore">Each host's /metrics before the run.</param>
/// <param name="MetricsAfter">And after.</param>
/// <param name="Transports">The streams by transport ("grpc", "websocket").</param>
/// <param name="Video">The text-to-video calls (null when the run made none).</param>
public sealed record RunReport(
    int Streams,
    double TargetFps,
    double Seconds,
    ReplicaReport Total,
    IReadOnlyList<ReplicaReport> Replicas,
    long Unsent,
    long Lost,
    IReadOnlyDictionary<string, long> Errors,
    IReadOnlyList<TimeSample> Samples,
    IReadOnlyList<StreamResult> StreamResults,
    IReadOnlyList<MetricsSnapshot> MetricsBefore,
    IReadOnlyList<MetricsSnapshot> MetricsAfter,
    IReadOnlyList<ReplicaReport> Transports,
    VideoReport? Video)
{
    /// <summary>Frames sent per second, all streams.</summary>
    public double FpsIn => Seconds > 0 ? Total.Sent / Seconds : 0;

    /// <summary>Calls ended by an error.</summary>
    public long ErrorCount => Errors.Values.Sum();

    /// <summary>Calls refused because a host was full.</summary>
    public long Refused => Errors.TryGetValue(nameof(Grpc.Core.StatusCode.ResourceExhausted), out var n) ? n : 0;
}
