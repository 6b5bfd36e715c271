using System.Collections.Concurrent;
using Grpc.Core;

namespace StreamDiffusion.Soak;

/// <summary>What the soak clients did and saw, thread-safe; latencies are drained per sample interval.</summary>
public sealed class SoakTally
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<double> _latencies = new();

    public void Started(SessionEnding ending) => Add("sessions_started." + ending);

    public void Ended(SessionEnding ending) => Add("sessions_ended." + ending);

    public void FrameSent() => Add("frames_sent");

    public void FrameAnswered(bool dropped, double latencyMs)
    {
        Add(dropped ? "frames_dropped" : "frames_answered");
        if (!dropped)
        {
            _latencies.Enqueue(latencyMs);
        }
    }

    /// <summary>A call ended with a status the client did not cause (refused, failed, server error).</summary>
    public void Status(StatusCode code, SessionEnding ending) => Add($"status.{code}.{ending}");

    /// <summary>A call broke in the HTTP layer (connection or stream reset) rather than with a gRPC status.</summary>
    public void TransportError(SessionEnding ending) => Add("transport_error." + ending);

    /// <summary>Latencies recorded since the last call.</summary>
    public double[] DrainLatencies()
    {
        var list = new List<double>();
        while (_latencies.TryDequeue(out var v))
        {
            list.Add(v);
        }

        return [.. list];
    }

    public IReadOnlyDictionary<string, long> Snapshot() => new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);

    private void Add(string key) => _counts.AddOrUpdate(key, 1, (_, v) => v + 1);
}
