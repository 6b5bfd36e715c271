using Prometheus;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// Broadcast collectors, in the host's registry (so /metrics shows them next to the session metrics).
/// Latency is per frame, from the decoded frame leaving the ingest decoder to the generated frame entering the
/// output encoder: what the host adds between demux and encode.
/// </summary>
public sealed class BroadcastMetrics
{
    private static readonly double[] s_latencyBuckets =
        [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];

    public BroadcastMetrics(HostMetrics host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var factory = Metrics.WithCustomRegistry(host.Registry);
        Active = factory.CreateGauge("streamdiffusion_broadcasts_active", "Broadcasts (SRT ingest sessions) running now.");
        Rejected = factory.CreateCounter("streamdiffusion_broadcast_rejected_total",
            "Broadcast connections refused, by reason (unknown_key, key_busy, capacity).", "reason");
        var frames = factory.CreateCounter("streamdiffusion_broadcast_frames_total",
            "Broadcast frames: in = decoded from ingest, out = handed to the output encoder, dropped = skipped because the pipeline was busy (newest wins).",
            "direction");
        FramesIn = frames.WithLabels("in");
        FramesOut = frames.WithLabels("out");
        FramesDropped = frames.WithLabels("dropped");
        Latency = factory.CreateHistogram("streamdiffusion_broadcast_latency_seconds",
            "Host latency per broadcast frame: decoded from ingest to handed to the output encoder.",
            new HistogramConfiguration { Buckets = s_latencyBuckets });
        var codec = factory.CreateCounter("streamdiffusion_broadcast_codec_cpu_seconds_total",
            "CPU time of the ffmpeg child processes, by role (decoder, encoder); divide by frames for time per frame.", "role");
        DecoderCpu = codec.WithLabels("decoder");
        EncoderCpu = codec.WithLabels("encoder");
        var codecFrames = factory.CreateCounter("streamdiffusion_broadcast_codec_frames_total",
            "Frames the ffmpeg child processes handled, by role (decoder, encoder); pairs with the CPU seconds.", "role");
        DecoderFrames = codecFrames.WithLabels("decoder");
        EncoderFrames = codecFrames.WithLabels("encoder");
        EncoderWrite = factory.CreateHistogram("streamdiffusion_broadcast_encoder_write_seconds",
            "Time to hand one generated frame to the output encoder (pipe write, back-pressure included).",
            new HistogramConfiguration { Buckets = s_latencyBuckets });
    }

    public Gauge Active { get; }

    public Counter Rejected { get; }

    public Counter.Child FramesIn { get; }

    public Counter.Child FramesOut { get; }

    public Counter.Child FramesDropped { get; }

    public Histogram Latency { get; }

    public Counter.Child DecoderCpu { get; }

    public Counter.Child EncoderCpu { get; }

    public Counter.Child DecoderFrames { get; }

    public Counter.Child EncoderFrames { get; }

    public Histogram EncoderWrite { get; }
}
