using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.StreamClient.Output;

/// <summary>
/// Writes returned frames through the pipeline's <see cref="VideoFrameSink"/>: a .mp4 / .avi file, or numbered
/// PNGs when the path is a folder (or no codec opens). Frames of another size are resized to the session size.
/// </summary>
public sealed class VideoFileSink : IFrameSink
{
    private readonly string _path;
    private VideoFrameSink? _sink;

    /// <summary>Creates the sink; nothing is written until <see cref="Open"/>.</summary>
    public VideoFileSink(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
    }

    /// <summary>The file or folder actually written (known after <see cref="Open"/>), else the requested path.</summary>
    public string OutputPath => _sink?.OutputPath ?? _path;

    /// <summary>Video file or PNG folder (known after <see cref="Open"/>).</summary>
    public VideoSinkKind? Kind => _sink?.Kind;

    /// <summary>FourCC of the video file, or null for a PNG folder or before <see cref="Open"/>.</summary>
    public string? Codec => _sink?.Codec;

    /// <summary>Frames written.</summary>
    public int FramesWritten => _sink?.FramesWritten ?? 0;

    /// <inheritdoc />
    public void Open(int width, int height, double fps)
    {
        if (_sink is not null)
        {
            throw new InvalidOperationException("The sink is already open.");
        }

        _sink = new VideoFrameSink(_path, fps, width, height);
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> rgb, int width, int height)
    {
        var sink = _sink ?? throw new InvalidOperationException("Open the sink before writing.");
        sink.Write(rgb, width, height);
    }

    /// <inheritdoc />
    public void Dispose() => _sink?.Dispose();
}
