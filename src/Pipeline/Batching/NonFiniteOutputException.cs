namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// A model call returned NaN or infinite values in a request's outputs. The request fails with this exception and
/// its output memory is left unwritten; the other requests of the same call complete normally if their outputs
/// are finite. The message names the engine only, so it is safe to show to clients.
/// </summary>
public sealed class NonFiniteOutputException : InvalidOperationException
{
    public NonFiniteOutputException()
    {
    }

    public NonFiniteOutputException(string message)
        : base(message)
    {
    }

    public NonFiniteOutputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
