using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// How an engine gathers requests from concurrent streams into model calls.
/// </summary>
/// <remarks>
/// <para>The engine waits for stragglers only while more than one client is active: alone, a stream's
/// request runs as soon as the device is free, so a single stream pays no batching latency. A
/// client counts as active while it holds a <see cref="ClientRegistration"/>, or when its requests
/// were seen outstanding at the same time as another's within the last <see cref="ClientWindow"/>.</para>
/// <para>With several <see cref="Workers"/>: a free worker takes an even share of the queued
/// requests of the oldest key (all of them when no other worker is idle; the idle workers are woken
/// for the rest), so free workers run queued requests side by side instead of one batching them
/// while the others idle. It holds a partial batch for stragglers only while no other worker is
/// idle (an idle worker could serve a straggler at once, so holding would buy nothing but latency),
/// and only while its batch has fewer requests than the clients that could still send one: the
/// active clients minus the requests other workers hold. While it holds, the other workers leave
/// requests of its key to it. With one worker these are the single-loop rules above.</para>
/// </remarks>
public sealed record BatchingOptions
{
    /// <summary>Workers <see cref="ForProvider"/> gives the CPU provider.</summary>
    /// <remarks>
    /// Measured with <c>streamhost bench</c> on a 2-core machine, four streams on one engine: one
    /// worker and two workers both ran at about 0.8-0.9 of the throughput of four separate engines,
    /// four workers at 0.95-1.1 (every UNet call then carried one stream's items, overlapping the
    /// others' calls and their JPEG and TAESD work, as separate engines do), eight no better than
    /// four. The gain comes from overlapping the streams' stages rather than from the core count,
    /// so the default is not derived from <see cref="Environment.ProcessorCount"/>; a worker costs a
    /// parked thread until it runs a call, and each concurrent call holds its own staging buffers
    /// and ONNX Runtime activations, which is what the cap bounds.
    /// </remarks>
    public const int DefaultCpuWorkers = 4;

    /// <summary>Default <see cref="MaxWorkerRestarts"/>.</summary>
    public const int DefaultMaxWorkerRestarts = 3;

    /// <summary>Most batch items (latents, id rows, images) in one model call. Default 8.</summary>
    /// <remarks>
    /// A single request with more items than this is never split: it runs alone in one call of its
    /// own size, so a caller's items always see the same model call (and a TensorRT profile sized
    /// for the caller's Stream Batch keeps working).
    /// </remarks>
    public int MaxBatch { get; init; } = 8;

    /// <summary>
    /// Longest the engine holds a partial batch waiting for requests from other active clients.
    /// Default 2 ms; zero never waits. Not applied while only one client is active.
    /// </summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Most requests waiting for the device; a submission beyond it fails at once with
    /// <see cref="BatchQueueFullException"/> (live video would rather drop a frame than queue it).
    /// Default 64.
    /// </summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>
    /// How long concurrency seen among unregistered callers keeps counting toward the active
    /// clients estimate. Default 1 s.
    /// </summary>
    public TimeSpan ClientWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Engine loops that may run model calls on the same model at the same time, 1..16. Default 1:
    /// one call at a time, what a GPU wants. All workers take batches from the one shared queue
    /// under the same grouping rules and each stages into its own buffers; ONNX Runtime's
    /// <c>InferenceSession.Run</c> is thread-safe, so concurrent calls share one session.
    /// </summary>
    /// <remarks>
    /// On a CPU micro-batching gains little, since a compute-bound call costs about the same per
    /// item at any batch size, while concurrent calls keep the cores busy through one call's serial
    /// stretches and overlap one stream's model call with another's CPU work between calls.
    /// <see cref="ForProvider"/> picks a default per provider.
    /// </remarks>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// Engine workers replaced in a row after dying (an exception escaping a worker's loop, or an
    /// <see cref="OutOfMemoryException"/> from a model call) with no successful call between them. One more
    /// death and the engine stops serving: it fails its queued and later requests with
    /// <see cref="EngineFaultedException"/> and reports the reason (the host then answers NOT_SERVING to health
    /// checks). Default 3; 0 never restarts.
    /// </summary>
    public int MaxWorkerRestarts { get; init; } = DefaultMaxWorkerRestarts;

    /// <summary>
    /// Whether a lone client's request runs on the caller's own thread. Default true. It does when nothing
    /// is queued or running, no other client is active (so there is nothing to batch it with) and the
    /// model call can be stopped from outside (a bound ONNX call: cancelling the caller's token sets ONNX
    /// Runtime's terminate flag). Handing the call to a worker thread and the result back costs two thread
    /// wake-ups per model call, about 0.1 ms each on a quiet 2-core machine and more on a busy one: three
    /// model calls per frame made them a third of a frame's overhead (issue 13).
    /// </summary>
    /// <remarks>
    /// A call that cannot be stopped (an unbound or decorated model) always goes to a worker, so a caller
    /// whose call hangs can still walk away from it. The caller's thread (a thread-pool thread in the host)
    /// is busy for the call; only one caller at a time runs inline per engine. Its awaits then complete at once, so a
    /// loop that awaits nothing else (a long video, which has no input to wait for) must yield its thread now and then
    /// (<c>await Task.Yield()</c> per frame), or it holds a thread-pool thread for as long as it runs and strands the
    /// work queued on that thread.
    /// </remarks>
    public bool RunAloneInline { get; init; } = true;

    /// <summary>
    /// Default settings for an execution provider: <see cref="DefaultCpuWorkers"/> workers on the CPU
    /// provider; one on CUDA and TensorRT, so the device sees one stream of work and batches fill.
    /// </summary>
    public static BatchingOptions ForProvider(ExecutionProvider provider) => new()
    {
        Workers = provider == ExecutionProvider.Cpu ? DefaultCpuWorkers : 1,
    };

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1, nameof(MaxBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ClientWindow, TimeSpan.Zero, nameof(ClientWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1, nameof(Workers));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Workers, 16, nameof(Workers));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWorkerRestarts, nameof(MaxWorkerRestarts));
    }
}
