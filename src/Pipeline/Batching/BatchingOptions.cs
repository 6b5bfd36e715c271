namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// How an engine gathers requests from concurrent streams into one model call.
/// </summary>
/// <remarks>
/// The engine waits for stragglers only while more than one client is active: alone, a stream's
/// request runs as soon as the device is free, so a single stream pays no batching latency. A
/// client counts as active while it holds a <see cref="ClientRegistration"/>, or when its requests
/// were seen outstanding at the same time as another's within the last <see cref="ClientWindow"/>.
/// </remarks>
public sealed record BatchingOptions
{
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

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1, nameof(MaxBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ClientWindow, TimeSpan.Zero, nameof(ClientWindow));
    }
}
