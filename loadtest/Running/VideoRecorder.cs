using System.Collections.Concurrent;
using HdrHistogram;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// What the text-to-video (<c>GenerateVideo</c>) calls of a run measured: frames received, time from opening a
/// call to its first frame (the FIFO queue's start-up), the gaps between consecutive frames (the stream's
/// smoothness), and frames per replica. Recorded from many calls at once.
/// </summary>
public sealed class VideoRecorder
{
    private readonly LongHistogram _firstFrame = new(ReplicaRecorder.HighestMicroseconds, 3);
    private readonly LongHistogram _interval = new(ReplicaRecorder.HighestMicroseconds, 3);
    private readonly ConcurrentDictionary<string, long> _framesByReplica = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<VideoCallRecord> _calls = new();
    private long _frames;
    private long _started;

    /// <summary>Frames received, all calls.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Calls that delivered at least one frame.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>Frames by replica name.</summary>
    public IReadOnlyDictionary<string, long> FramesByReplica => _framesByReplica;

    /// <summary>Every call, in the order they ended.</summary>
    public IReadOnlyList<VideoCallRecord> Calls => [.. _calls];

    /// <summary>Counts a call's first frame, <paramref name="microseconds"/> after the call was opened.</summary>
    public void OnFirstFrame(long microseconds)
    {
        Interlocked.Increment(ref _started);
        lock (_firstFrame)
        {
            _firstFrame.RecordValue(Math.Clamp(microseconds, 1, ReplicaRecorder.HighestMicroseconds));
        }
    }

    /// <summary>Counts a frame from <paramref name="replica"/>; <paramref name="gapMicroseconds"/> since the call's previous frame (null for the first).</summary>
    public void OnFrame(string replica, long? gapMicroseconds)
    {
        Interlocked.Increment(ref _frames);
        _framesByReplica.AddOrUpdate(replica, 1, (_, n) => n + 1);
        if (gapMicroseconds is { } gap)
        {
            lock (_interval)
            {
                _interval.RecordValue(Math.Clamp(gap, 1, ReplicaRecorder.HighestMicroseconds));
            }
        }
    }

    /// <summary>Records how a call ended.</summary>
    public void OnCallEnded(VideoCallRecord call) => _calls.Enqueue(call);

    /// <summary>Time-to-first-frame percentiles.</summary>
    public LatencyStats FirstFrame()
    {
        lock (_firstFrame)
        {
            return LatencyStats.From(_firstFrame);
        }
    }

    /// <summary>Frame-gap percentiles.</summary>
    public LatencyStats Interval()
    {
        lock (_interval)
        {
            return LatencyStats.From(_interval);
        }
    }
}
