using StreamDiffusion.LoadTest.Running;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>One replica's share of a run.</summary>
public sealed record ReplicaReport(
    string Replica,
    long Sessions,
    long Sent,
    long Answered,
    long Out,
    long Dropped,
    long Skipped,
    long Failed,
    double FpsOut,
    LatencyStats Latency,
    LatencyStats TimeToSessionStarted)
{
    /// <summary>Summarises a recorder over <paramref name="seconds"/>.</summary>
    public static ReplicaReport From(ReplicaRecorder recorder, double seconds)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        return new ReplicaReport(recorder.Name, recorder.Sessions, recorder.Sent, recorder.Answered, recorder.Out, recorder.Dropped,
            recorder.Skipped, recorder.Failed, seconds > 0 ? recorder.Out / seconds : 0, recorder.Latency(), recorder.Startup());
    }
}
