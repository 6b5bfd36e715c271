namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// One caller's piece of work in a <see cref="MicroBatcher{TKey, TRequest}"/>: a run of batch items
/// that must share a model call, plus the completion the caller awaits. Engines derive from it to
/// carry their buffers.
/// </summary>
/// <typeparam name="TKey">What must be equal for requests to share a call (e.g. the latent shape).</typeparam>
internal abstract class BatchRequest<TKey>
{
    // Life cycle, advanced with Interlocked so the caller's cancellation and the engine loop agree
    // on who completes the request and whether the engine may still write to the caller's memory.
    internal const int Queued = 0;
    internal const int Staging = 1;
    internal const int CancelRequested = 2;
    internal const int Running = 3;
    internal const int Completing = 4;
    internal const int Finished = 5;

    internal int _state;

    protected BatchRequest(TKey key, int items)
    {
        Key = key;
        Items = items;
    }

    /// <summary>Requests share a call only when their keys are equal.</summary>
    public TKey Key { get; }

    /// <summary>Batch items this request contributes.</summary>
    public int Items { get; }

    /// <summary>
    /// Completed by the engine loop, or by cancellation. Continuations run asynchronously so a
    /// caller's code never runs on (and never stalls) the engine thread.
    /// </summary>
    internal TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal CancellationToken CancellationToken { get; set; }

    internal CancellationTokenRegistration Registration { get; set; }

    internal long EnqueuedTimestamp { get; set; }
}
