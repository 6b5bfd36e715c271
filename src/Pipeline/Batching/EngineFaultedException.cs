namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// An engine worker stopped under a request (the request did not run), or the engine gave up after
/// <see cref="BatchingOptions.MaxWorkerRestarts"/> worker failures in a row and refuses all work. A live stream
/// reports the frame as UNAVAILABLE: the work may succeed on another replica.
/// </summary>
public sealed class EngineFaultedException : InvalidOperationException
{
    public EngineFaultedException()
    {
    }

    public EngineFaultedException(string message)
        : base(message)
    {
    }

    public EngineFaultedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
