namespace StreamDiffusion.Soak;

/// <summary>One sample of the host, taken from its /metrics, plus the clients' latency over the interval.</summary>
public sealed record HostSample(
    double Seconds,
    double RssMb,
    double ManagedHeapMb,
    double Threads,
    double Handles,
    double SessionsActive,
    double LatencyP50Ms,
    double LatencyP95Ms,
    int FramesAnswered);
