namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// A model pack is malformed or cannot run here. The message names the file, the tensor and what
/// was expected, so it can be shown to an operator as it is.
/// </summary>
public sealed class ModelPackException : Exception
{
    public ModelPackException()
    {
    }

    public ModelPackException(string message)
        : base(message)
    {
    }

    public ModelPackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
