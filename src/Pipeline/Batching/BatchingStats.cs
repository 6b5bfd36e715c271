using System.Collections.Immutable;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>A snapshot of an engine's counters, for metrics and benchmarks.</summary>
/// <param name="Calls">Model calls made (including failed ones).</param>
/// <param name="Items">Batch items sent to the model over all calls.</param>
/// <param name="Requests">Requests that went into a model call.</param>
/// <param name="FailedCalls">Model calls that threw.</param>
/// <param name="CancelledRequests">Requests whose callers cancelled before they completed.</param>
/// <param name="RejectedRequests">Requests refused because the queue was full.</param>
/// <param name="QueueDepth">Requests waiting now.</param>
/// <param name="QueuedItems">Batch items waiting now.</param>
/// <param name="ActiveClients">Current estimate of active clients (registered or seen concurrently).</param>
/// <param name="CallsByBatchSize">
/// Entry <c>i</c> counts calls of <c>i + 1</c> items; the last entry (MaxBatch) also counts the
/// calls of oversized requests that ran alone.
/// </param>
/// <param name="TotalQueueWait">Sum over requests of the time from submission to the start of their call.</param>
/// <param name="TotalStragglerWait">Time workers held a partial batch waiting for more requests, summed over workers.</param>
/// <param name="TotalRunTime">Time spent inside the model, summed over calls (concurrent calls both count).</param>
public sealed record BatchingStats(
    long Calls,
    long Items,
    long Requests,
    long FailedCalls,
    long CancelledRequests,
    long RejectedRequests,
    int QueueDepth,
    int QueuedItems,
    int ActiveClients,
    ImmutableArray<long> CallsByBatchSize,
    TimeSpan TotalQueueWait,
    TimeSpan TotalStragglerWait,
    TimeSpan TotalRunTime)
{
    /// <summary>Mean items per model call (0 before the first call).</summary>
    public double AverageBatchSize => Calls == 0 ? 0 : (double)Items / Calls;

    /// <summary>Mean time a request waited before its call started.</summary>
    public TimeSpan AverageQueueWait => Requests == 0 ? TimeSpan.Zero : TotalQueueWait / Requests;

    /// <summary>Worker loops of the engine (<see cref="BatchingOptions.Workers"/>).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Most model calls seen running at the same time (at most <see cref="Workers"/>).</summary>
    public int PeakConcurrentCalls { get; init; }

    /// <summary>Model calls that started while another worker's call was running.</summary>
    public long OverlappingCalls { get; init; }

    /// <summary>Engine workers replaced after they died (see <see cref="BatchingOptions.MaxWorkerRestarts"/>).</summary>
    public long WorkerRestarts { get; init; }

    /// <summary>Clients holding a <see cref="ClientRegistration"/> now (streams open on the engine).</summary>
    public int RegisteredClients { get; init; }

    /// <summary>Why the engine stopped serving; null while it serves.</summary>
    public string? FaultReason { get; init; }

    /// <summary>Model calls a lone client's thread ran itself (<see cref="BatchingOptions.RunAloneInline"/>); included in <c>Calls</c>.</summary>
    public long InlineCalls { get; init; }
}
