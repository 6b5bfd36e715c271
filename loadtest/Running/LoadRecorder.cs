using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// Everything one run measures: a <see cref="ReplicaRecorder"/> per replica plus one for all of them, errors by
/// status code, and the time series the sampler builds once per interval.
/// </summary>
public sealed class LoadRecorder
{
    /// <summary>Name of the recorder that sees every replica's events.</summary>
    public const string AllReplicas = "all";

    private readonly ConcurrentDictionary<string, ReplicaRecorder> _replicas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ReplicaRecorder> _transports = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<StatusCode, long> _errors = new();
    private readonly List<TimeSample> _samples = [];
    private readonly long _start = Stopwatch.GetTimestamp();
    private double _lastSample;
    private long _unsent;

    /// <summary>The recorder of all replicas together.</summary>
    public ReplicaRecorder All { get; } = new(AllReplicas);

    /// <summary>Seconds since the run started.</summary>
    public double Elapsed => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    /// <summary>Frames a stream did not send because too many of its frames were unanswered, or while it reconnected.</summary>
    public long Unsent => Interlocked.Read(ref _unsent);

    /// <summary>Calls that ended with a status other than OK, by status (a refused start counts too).</summary>
    public IReadOnlyDictionary<StatusCode, long> Errors => _errors;

    /// <summary>The recorder of one replica, created on first use.</summary>
    public ReplicaRecorder Replica(string name) => _replicas.GetOrAdd(name, n => new ReplicaRecorder(n));

    /// <summary>The recorder of one transport ("grpc", "websocket"), created on first use; not part of the time series.</summary>
    public ReplicaRecorder Transport(string name) => _transports.GetOrAdd(name, n => new ReplicaRecorder(n));

    /// <summary>Every transport seen so far, by name.</summary>
    public IReadOnlyList<ReplicaRecorder> Transports => [.. _transports.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];

    /// <summary>The video (GenerateVideo) calls' counters.</summary>
    public VideoRecorder Video { get; } = new();

    /// <summary>Every replica seen so far, by name.</summary>
    public IReadOnlyList<ReplicaRecorder> Replicas => [.. _replicas.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];

    /// <summary>Counts a call that ended with an error status.</summary>
    public void OnError(StatusCode status) => _errors.AddOrUpdate(status, 1, (_, n) => n + 1);

    /// <summary>Counts frames not sent.</summary>
    public void OnUnsent(long count) => Interlocked.Add(ref _unsent, count);

    /// <summary>Takes one sample per replica and one for all; call from one thread only.</summary>
    public IReadOnlyList<TimeSample> Sample()
    {
        var now = Elapsed;
        var interval = now - _lastSample;
        _lastSample = now;
        var taken = new List<TimeSample> { All.Sample(now, interval) };
        taken.AddRange(Replicas.Select(r => r.Sample(now, interval)));

        // Transports are sampled too, so their latency totals fill, but only replicas make the time series.
        foreach (var transport in Transports)
        {
            _ = transport.Sample(now, interval);
        }

        lock (_samples)
        {
            _samples.AddRange(taken);
        }

        return taken;
    }

    /// <summary>The time series so far.</summary>
    public IReadOnlyList<TimeSample> Samples()
    {
        lock (_samples)
        {
            return [.. _samples];
        }
    }
}
