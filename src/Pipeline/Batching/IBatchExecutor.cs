namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// The model-specific half of an engine worker: owns one worker's staging buffers and calls the
/// inner model. Each worker has its own executor and calls it only from its own thread, one call
/// at a time, so an executor needs no locking; the inner model it shares with the other workers'
/// executors must allow concurrent calls when the engine has more than one worker. The worker
/// disposes its executor (bound model calls, native handles) when it stops.
/// </summary>
internal interface IBatchExecutor<in TKey, in TRequest> : IDisposable
    where TRequest : class
{
    /// <summary>Makes the staging buffers hold at least <paramref name="items"/> items of <paramref name="key"/>.</summary>
    /// <param name="key">The batch's key.</param>
    /// <param name="items">The batch's items.</param>
    /// <param name="inlineRequest">
    /// The batch's only request when it runs on its caller's thread (<see cref="BatchingOptions.RunAloneInline"/>),
    /// else null. The executor may then run the model on the caller's own buffers instead of staging copies: the
    /// caller cannot touch them before the call returns.
    /// </param>
    void Prepare(TKey key, int items, TRequest? inlineRequest);

    /// <summary>Copies a request's inputs into the staging buffers starting at item <paramref name="itemOffset"/>.</summary>
    void Stage(TRequest request, int itemOffset);

    /// <summary>
    /// Whether the call <see cref="Prepare"/> set up stops early when <see cref="Run"/>'s token is cancelled (a
    /// bound ONNX call); only such calls may run on a caller's thread (<see cref="BatchingOptions.RunAloneInline"/>).
    /// </summary>
    bool CanAbort { get; }

    /// <summary>Runs the model once on the first <paramref name="items"/> staged items.</summary>
    /// <param name="key">The batch's key.</param>
    /// <param name="items">Staged items.</param>
    /// <param name="abort">Stops the call early where <see cref="CanAbort"/> (it then throws <see cref="OperationCanceledException"/>).</param>
    void Run(TKey key, int items, CancellationToken abort);

    /// <summary>Copies a request's outputs from the staging buffers back to the caller.</summary>
    void Unstage(TRequest request, int itemOffset);
}
