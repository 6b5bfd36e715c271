using System.Diagnostics;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// Accumulates the time spent inside model calls (the ONNX sessions) across threads, so a benchmark
/// can subtract it from a frame's wall time and see the pipeline's own overhead.
/// </summary>
internal sealed class OnnxTimer
{
    private long _ticks;
    private long _calls;

    /// <summary>Stopwatch ticks spent inside timed calls so far.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Timed calls so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Records a call that started at <paramref name="startTimestamp"/> and ends now.</summary>
    public void Stop(long startTimestamp)
    {
        Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - startTimestamp);
        Interlocked.Increment(ref _calls);
    }

    /// <summary>Milliseconds for a tick count from <see cref="Ticks"/>.</summary>
    public static double Milliseconds(long tickCount) => tickCount * 1000.0 / Stopwatch.Frequency;
}
