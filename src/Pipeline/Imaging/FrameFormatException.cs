namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// A frame that cannot be decoded: empty, corrupt or truncated data, a declared format that does not
/// match the bytes, or dimensions / stride / length that do not add up. The message says exactly what
/// is wrong so a host can return it to the client as is (INVALID_ARGUMENT).
/// </summary>
public sealed class FrameFormatException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public FrameFormatException()
        : base("The frame is not a valid image.")
    {
    }

    /// <summary>Creates the exception with a message describing the problem.</summary>
    public FrameFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the decoder error behind it.</summary>
    public FrameFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
