namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// The model-specific half of an engine worker: owns one worker's staging buffers and calls the
/// inner model. Each worker has its own executor and calls it only from its own thread, one call
/// at a time, so an executor needs no locking; the inner model it shares with the other workers'
/// executors must allow concurrent calls when the engine has more than one worker. The worker
/// disposes its executor (bound model calls, native handles) when it stops.
/// </summary>
internal interface IBatchExecutor<in TKey, in TRequest> : IDisposable
{
    /// <summary>Makes the staging buffers hold at least <paramref name="items"/> items of <paramref name="key"/>.</summary>
    void Prepare(TKey key, int items);

    /// <summary>Copies a request's inputs into the staging buffers starting at item <paramref name="itemOffset"/>.</summary>
    void Stage(TRequest request, int itemOffset);

    /// <summary>Runs the model once on the first <paramref name="items"/> staged items.</summary>
    void Run(TKey key, int items);

    /// <summary>Copies a request's outputs from the staging buffers back to the caller.</summary>
    void Unstage(TRequest request, int itemOffset);
}
