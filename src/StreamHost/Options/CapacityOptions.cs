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

    /// <summary>How often a session sends <c>SessionStats</c> (and logs a drop warning if it dropped frames).</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>On shutdown, how long running streams may go on before they are ended with UNAVAILABLE.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
