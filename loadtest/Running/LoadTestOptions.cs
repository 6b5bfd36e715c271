namespace StreamDiffusion.LoadTest.Running;

/// <summary>What one load test does. Every run is bounded: by <see cref="Duration"/>, or by <see cref="FramesPerStream"/>.</summary>
public sealed record LoadTestOptions
{
    /// <summary>gRPC addresses of the hosts (or of a load balancer in front of them).</summary>
    public required IReadOnlyList<Uri> Targets { get; init; }

    /// <summary>Web addresses whose /metrics are read before and after (optional, one per host).</summary>
    public IReadOnlyList<Uri> MetricsEndpoints { get; init; } = [];

    /// <summary>Concurrent Stream calls (the first step's count when ramping).</summary>
    public int Streams { get; init; } = 1;

    /// <summary>
    /// Concurrent WebSocket sessions (<c>/ws/stream</c>, the web page's protocol) besides the gRPC streams, paced
    /// and measured the same way; they need <see cref="WebTargets"/> (or <see cref="MetricsEndpoints"/>).
    /// </summary>
    public int WebSocketStreams { get; init; }

    /// <summary>Web addresses for WebSocket sessions, spread round-robin; empty: <see cref="MetricsEndpoints"/>.</summary>
    public IReadOnlyList<Uri> WebTargets { get; init; } = [];

    /// <summary>Concurrent <c>GenerateVideo</c> (text-to-video) calls besides the streams, each until the run's duration.</summary>
    public int VideoStreams { get; init; }

    /// <summary>FIFO partitions of the video calls (0: the host's default); fewer partitions, fewer UNet items per frame.</summary>
    public int VideoPartitions { get; init; }

    /// <summary>The web addresses WebSocket sessions connect to.</summary>
    public IReadOnlyList<Uri> EffectiveWebTargets => WebTargets.Count > 0 ? WebTargets : MetricsEndpoints;

    /// <summary>Frames per second each stream sends.</summary>
    public double Fps { get; init; } = 8;

    /// <summary>How long each run (each ramp step) sends.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Frames each stream sends; when set, a stream stops after this many (and at <see cref="Duration"/> at the latest).</summary>
    public int? FramesPerStream { get; init; }

    /// <summary>Frame side in pixels (square JPEG frames, session size).</summary>
    public int Size { get; init; } = 256;

    /// <summary>JPEG quality of input and output frames.</summary>
    public int Quality { get; init; } = 85;

    /// <summary>Model name ("" = the host's default).</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>Prompt of every session.</summary>
    public string Prompt { get; init; } = "a watercolor painting";

    /// <summary>Folder of photos the frames are made from.</summary>
    public required string ImagesFolder { get; init; }

    /// <summary>Reopen a stream that a host ended with UNAVAILABLE or refused (failover); otherwise such a stream stops.</summary>
    public bool Reconnect { get; init; }

    /// <summary>How long a stream may wait for SessionStarted, and for its last answers after it stops sending.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Latency target of the ramp's capacity figure; default two frame intervals.</summary>
    public TimeSpan? LatencyTarget { get; init; }

    /// <summary>Most frames a stream has sent and not yet seen answered; further frames of that stream are not sent (counted as unsent).</summary>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>
    /// A one-stream run before the measured ones, not reported, so the host's first-session costs (lazy
    /// initialisation, caches) do not land in the first step. Zero: none.
    /// </summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Frame slots of each stream: one per frame interval over <see cref="Duration"/>, at most <see cref="FramesPerStream"/>, at least one.</summary>
    public long FrameSlots
    {
        get
        {
            var byDuration = (long)Math.Floor(Duration.TotalSeconds * Fps);
            return Math.Max(1, FramesPerStream is { } n ? Math.Min(n, byDuration) : byDuration);
        }
    }

    /// <summary>The p95 latency target in force.</summary>
    public TimeSpan EffectiveLatencyTarget => LatencyTarget ?? TimeSpan.FromSeconds(2 / Fps);
}
