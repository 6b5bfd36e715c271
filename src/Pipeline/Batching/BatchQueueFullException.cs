namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// An engine's queue already holds <see cref="BatchingOptions.QueueCapacity"/> requests. The
/// caller should drop this piece of work (a live stream skips the frame) rather than retry at once.
/// </summary>
public sealed class BatchQueueFullException : InvalidOperationException
{
    public BatchQueueFullException()
    {
    }

    public BatchQueueFullException(string message)
        : base(message)
    {
    }

    public BatchQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
