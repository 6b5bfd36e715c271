namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Thrown by a processor when a frame's content is unusable (e.g. a corrupt JPEG). The frame fails with
/// INVALID_ARGUMENT and the stream goes on; it counts towards the consecutive bad frame limit.
/// </summary>
public sealed class FrameRejectedException : Exception
{
    /// <summary>Creates the exception with a client-facing reason.</summary>
    public FrameRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a client-facing reason and the decoder's error.</summary>
    public FrameRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic reason.</summary>
    public FrameRejectedException()
        : base("frame rejected")
    {
    }
}
