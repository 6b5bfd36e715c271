namespace StreamDiffusion.StreamClient.Output;

/// <summary>Hands every frame to several sinks in order (e.g. a video file and a preview window).</summary>
public sealed class CompositeSink : IFrameSink
{
    private readonly IFrameSink[] _sinks;

    /// <summary>Wraps <paramref name="sinks"/>; disposing the composite disposes them.</summary>
    public CompositeSink(params IFrameSink[] sinks)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _sinks = sinks;
    }

    /// <inheritdoc />
    public void Open(int width, int height, double fps)
    {
        foreach (var sink in _sinks)
        {
            sink.Open(width, height, fps);
        }
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> rgb, int width, int height)
    {
        foreach (var sink in _sinks)
        {
            sink.Write(rgb, width, height);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var sink in _sinks)
        {
            sink.Dispose();
        }
    }
}
