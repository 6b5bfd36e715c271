using StreamDiffusion.StreamClient.Cli;

namespace StreamDiffusion.StreamClient.Sources;

/// <summary>Opens the <see cref="IFrameSource"/> that <c>--input</c> names.</summary>
public static class FrameSourceFactory
{
    /// <summary>Frame rate assumed for folders and images when <c>--fps</c> is not given.</summary>
    public const double ImageFps = 30;

    /// <summary>Opens the input of <paramref name="options"/>.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The path or camera cannot be read.</exception>
    public static IFrameSource Create(StreamClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = options.Input;
        if (input.Kind == InputKind.Webcam)
        {
            return new WebcamFrameSource(input.WebcamIndex, options.Frames);
        }

        // --fps also sets the timestamps of images; a video keeps its container rate as its own.
        var fallback = options.Fps is > 0 ? options.Fps.Value : ImageFps;
        return new FileFrameSource(input.Path, options.Frames, fallback);
    }
}
