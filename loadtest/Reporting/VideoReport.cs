using StreamDiffusion.LoadTest.Running;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>The text-to-video calls' share of a run.</summary>
/// <param name="Streams">Concurrent GenerateVideo calls.</param>
/// <param name="Started">Of those, calls that delivered a frame.</param>
/// <param name="Frames">Frames received, all calls.</param>
/// <param name="FpsOut">Frames per second, all calls together.</param>
/// <param name="TimeToFirstFrame">From opening a call to its first frame (the FIFO queue's start-up).</param>
/// <param name="FrameInterval">Gaps between consecutive frames of a call.</param>
/// <param name="FramesByReplica">Frames by replica.</param>
/// <param name="Calls">Each call's end.</param>
public sealed record VideoReport(
    int Streams,
    long Started,
    long Frames,
    double FpsOut,
    LatencyStats TimeToFirstFrame,
    LatencyStats FrameInterval,
    IReadOnlyDictionary<string, long> FramesByReplica,
    IReadOnlyList<VideoCallRecord> Calls)
{
    /// <summary>Summarises a recorder over <paramref name="seconds"/>.</summary>
    public static VideoReport From(VideoRecorder recorder, int streams, double seconds)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        return new VideoReport(
            streams,
            recorder.Started,
            recorder.Frames,
            seconds > 0 ? recorder.Frames / seconds : 0,
            recorder.FirstFrame(),
            recorder.Interval(),
            new SortedDictionary<string, long>(recorder.FramesByReplica.ToDictionary(), StringComparer.Ordinal),
            [.. recorder.Calls.OrderBy(c => c.Index)]);
    }
}
