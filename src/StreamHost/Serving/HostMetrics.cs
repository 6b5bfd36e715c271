using Prometheus;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// Prometheus metrics of one host, in a registry of its own (so several hosts in one process, as in tests,
/// do not share counters). Exposed at /metrics on the HTTP port.
/// </summary>
public sealed class HostMetrics
{
    private static readonly double[] s_latencyBuckets =
        [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];

    /// <summary>Creates the registry and every collector, plus the .NET process collectors.</summary>
    public HostMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        SessionsActive = factory.CreateGauge("streamdiffusion_sessions_active", "Sessions (Stream and Generate calls) running now.");
        SessionsMax = factory.CreateGauge("streamdiffusion_sessions_max", "Configured session capacity.");
        SessionsStarted = factory.CreateCounter("streamdiffusion_sessions_started_total", "Sessions admitted.");
        SessionsRejected = factory.CreateCounter("streamdiffusion_sessions_rejected_total",
            "Sessions refused before starting, by reason (capacity, draining).", "reason");
        FramesIn = factory.CreateCounter("streamdiffusion_frames_in_total", "Input frames received.");
        FramesOut = factory.CreateCounter("streamdiffusion_frames_out_total", "Output frames sent with an image (skipped ones included).");
        FramesSkipped = factory.CreateCounter("streamdiffusion_frames_skipped_total", "Frames the similarity filter skipped.");
        FramesDropped = factory.CreateCounter("streamdiffusion_frames_dropped_total", "Frames dropped unprocessed because the session was busy.");
        var droppedByReason = factory.CreateCounter("streamdiffusion_frames_dropped_by_reason_total",
            "Frames dropped unprocessed, by reason: queue (the session was busy and a newer frame replaced it), fps_cap (over the stream's frame-rate cap).", "reason");
        DroppedQueue = droppedByReason.WithLabels("queue");
        DroppedFpsCap = droppedByReason.WithLabels("fps_cap");
        FramesFailed = factory.CreateCounter("streamdiffusion_frames_failed_total", "Frames that failed (invalid input or processing error).");
        QueueDepth = factory.CreateGauge("streamdiffusion_queue_depth", "Input frames waiting in session queues, all sessions.");
        FrameLatency = factory.CreateHistogram("streamdiffusion_frame_latency_seconds",
            "Receipt of an input frame to its output being sent.", new HistogramConfiguration { Buckets = s_latencyBuckets });
        var stages = factory.CreateHistogram("streamdiffusion_frame_stage_seconds",
            "Time per processing stage of a frame.", new HistogramConfiguration { Buckets = s_latencyBuckets, LabelNames = ["stage"] });
        QueueStage = stages.WithLabels("queue");
        DecodeStage = stages.WithLabels("decode");
        DenoiseStage = stages.WithLabels("denoise");
        EncodeStage = stages.WithLabels("encode");
    }

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Sessions running now.</summary>
    public Gauge SessionsActive { get; }

    /// <summary>Configured capacity.</summary>
    public Gauge SessionsMax { get; }

    /// <summary>Sessions admitted.</summary>
    public Counter SessionsStarted { get; }

    /// <summary>Sessions refused, labelled by reason.</summary>
    public Counter SessionsRejected { get; }

    /// <summary>Input frames received.</summary>
    public Counter FramesIn { get; }

    /// <summary>Output frames with an image.</summary>
    public Counter FramesOut { get; }

    /// <summary>Frames skipped by the similarity filter.</summary>
    public Counter FramesSkipped { get; }

    /// <summary>Frames dropped under load.</summary>
    public Counter FramesDropped { get; }

    /// <summary>Frames dropped because a newer frame replaced them in a busy session's queue.</summary>
    public Counter.Child DroppedQueue { get; }

    /// <summary>Frames dropped because they came in over the stream's frame-rate cap.</summary>
    public Counter.Child DroppedFpsCap { get; }

    /// <summary>Failed frames.</summary>
    public Counter FramesFailed { get; }

    /// <summary>Queued input frames across sessions.</summary>
    public Gauge QueueDepth { get; }

    /// <summary>End-to-end frame latency.</summary>
    public Histogram FrameLatency { get; }

    /// <summary>Queue wait per frame.</summary>
    public Histogram.Child QueueStage { get; }

    /// <summary>Decode time per frame.</summary>
    public Histogram.Child DecodeStage { get; }

    /// <summary>Diffusion time per frame.</summary>
    public Histogram.Child DenoiseStage { get; }

    /// <summary>Encode time per frame.</summary>
    public Histogram.Child EncodeStage { get; }
}
