namespace StreamDiffusion.StreamHost.Options;

/// <summary>Per-session queueing, reporting and drain behaviour (configuration section <c>Capacity</c>).</summary>
public sealed class CapacityOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Capacity";

    /// <summary>
    /// Input frames a session buffers while it is busy (1-2 for live video: older frames are dropped so the
    /// newest one is processed next).
    /// </summary>
    public int InputQueueCapacity { get; set; } = 2;

    /// <summary>
    /// Input frames a session holds at most while their answers are not yet written: queued frames, the frame in
    /// work and dropped frames waiting for their "dropped" answer (payloads of dropped frames are released at
    /// once). At this many the session stops reading, so HTTP/2 flow control slows the client down.
    /// </summary>
    public int MaxPendingAnswers { get; set; } = 16;

    /// <summary>
    /// A response that cannot be sent for this long (the client stopped reading and its HTTP/2 window is closed)
    /// ends the session with RESOURCE_EXHAUSTED "client not reading" and frees everything it held.
    /// </summary>
    public TimeSpan ClientReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a session sends <c>SessionStats</c> (and logs a drop warning if it dropped frames).</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Most input frames per second a stream gets processed; frames beyond it are answered dropped (reason fps_cap)
    /// without being decoded, so a client cannot buy more than its share of the engine by sending faster. A session
    /// may ask for a lower cap (SessionConfig.max_fps). 0 (the default): no host cap.
    /// </summary>
    public double MaxFramesPerSecondPerStream { get; set; }

    /// <summary>On shutdown, how long running streams may go on before they are ended with UNAVAILABLE.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
