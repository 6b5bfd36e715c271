using HdrHistogram;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// The counters and latencies of one replica (or of everything, for the total). Stream loops record from many
/// threads; an HdrHistogram <see cref="Recorder"/> takes the latencies without locks, and the sampler swaps out
/// one interval histogram per sample for the time series and adds it to the run's total.
/// </summary>
public sealed class ReplicaRecorder
{
    /// <summary>Latencies above an hour are clamped to it.</summary>
    public const long HighestMicroseconds = 3_600_000_000;

    private readonly Recorder _latency = new(1, HighestMicroseconds, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    private readonly LongHistogram _total = new(HighestMicroseconds, 3);
    private readonly LongHistogram _startup = new(HighestMicroseconds, 3);
    private HistogramBase? _recycled;
    private long _sent;
    private long _answered;
    private long _out;
    private long _dropped;
    private long _skipped;
    private long _failed;
    private long _sessions;
    private long _lastSent;
    private long _lastOut;

    /// <summary>Creates the recorder of a replica.</summary>
    public ReplicaRecorder(string name) => Name = name;

    /// <summary>Replica name (the host's <c>streamdiffusion-replica</c> header, else its address).</summary>
    public string Name { get; }

    /// <summary>Frames sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Frames answered (any kind of answer).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Frames answered with an image.</summary>
    public long Out => Interlocked.Read(ref _out);

    /// <summary>Frames the host dropped unprocessed because the session was busy.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames the similarity filter skipped (answered with the previous image).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Frames answered with an error.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Sessions started on this replica.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>Counts a sent frame.</summary>
    public void OnSent() => Interlocked.Increment(ref _sent);

    /// <summary>Counts an answer; <paramref name="latencyMicroseconds"/> is recorded for frames that carry an image.</summary>
    public void OnAnswer(bool dropped, bool failed, bool skipped, long latencyMicroseconds)
    {
        Interlocked.Increment(ref _answered);
        if (failed)
        {
            Interlocked.Increment(ref _failed);
            return;
        }

        if (dropped)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (skipped)
        {
            Interlocked.Increment(ref _skipped);
        }

        Interlocked.Increment(ref _out);
        _latency.RecordValue(Math.Clamp(latencyMicroseconds, 1, HighestMicroseconds));
    }

    /// <summary>Counts a started session and how long SessionStarted took.</summary>
    public void OnSessionStarted(long microseconds)
    {
        Interlocked.Increment(ref _sessions);
        lock (_startup)
        {
            _startup.RecordValue(Math.Clamp(microseconds, 1, HighestMicroseconds));
        }
    }

    /// <summary>
    /// Takes the latencies recorded since the last call into the total and returns this interval's sample.
    /// Called by one sampler thread only.
    /// </summary>
    public TimeSample Sample(double seconds, double intervalSeconds)
    {
        var interval = _latency.GetIntervalHistogram(_recycled);
        _recycled = interval;
        lock (_total)
        {
            _total.Add(interval);
        }

        var sent = Sent;
        var output = Out;
        var sample = new TimeSample(
            seconds,
            Name,
            intervalSeconds > 0 ? (sent - _lastSent) / intervalSeconds : 0,
            intervalSeconds > 0 ? (output - _lastOut) / intervalSeconds : 0,
            Percentile(interval, 50),
            Percentile(interval, 95),
            Percentile(interval, 99));
        _lastSent = sent;
        _lastOut = output;
        return sample;
    }

    /// <summary>Latency percentiles over everything sampled so far.</summary>
    public LatencyStats Latency()
    {
        lock (_total)
        {
            return LatencyStats.From(_total);
        }
    }

    /// <summary>Time-to-SessionStarted percentiles.</summary>
    public LatencyStats Startup()
    {
        lock (_startup)
        {
            return LatencyStats.From(_startup);
        }
    }

    private static double Percentile(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;
}
