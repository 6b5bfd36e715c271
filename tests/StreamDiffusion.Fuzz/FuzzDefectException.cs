namespace StreamDiffusion.Fuzz;

/// <summary>A property a target checks did not hold (for example a rejection without a field name).</summary>
public sealed class FuzzDefectException : Exception
{
    public FuzzDefectException()
    {
    }

    public FuzzDefectException(string message)
        : base(message)
    {
    }

    public FuzzDefectException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
