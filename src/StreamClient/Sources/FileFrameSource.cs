using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.StreamClient.Sources;

/// <summary>
/// A video file, a folder of images (ordinal file-name order) or a single image, read through
/// <see cref="VideoFrameSource"/>. A single image is sent <c>frames</c> times (default once); a video or
/// folder is cut after <c>frames</c> frames when a limit is given.
/// </summary>
public sealed class FileFrameSource : IFrameSource
{
    private readonly VideoFrameSource _source;
    private readonly int? _limit;

    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <param name="path">Video file, image file or folder of images.</param>
    /// <param name="frames">Frame limit (repeat count for an image); null for all frames (one for an image).</param>
    /// <param name="fallbackFps">Frame rate of images and of videos that do not declare one.</param>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="InvalidDataException">The path cannot be read as video or images.</exception>
    public FileFrameSource(string path, int? frames = null, double fallbackFps = 30)
    {
        if (frames is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "The frame limit must be positive.");
        }

        _source = new VideoFrameSource(path, fallbackFps);
        _limit = frames;
        FrameCount = _source.Kind == VideoSourceKind.ImageFile
            ? frames ?? 1
            : frames is { } n ? Math.Min(n, _source.FrameCount) : _source.FrameCount;
    }

    /// <summary>What the path turned out to be.</summary>
    public VideoSourceKind Kind => _source.Kind;

    /// <inheritdoc />
    public string Description => _source.Path;

    /// <inheritdoc />
    public double Fps => _source.Fps;

    /// <inheritdoc />
    /// <remarks>For a video this is the container's count, which can be an estimate.</remarks>
    public int? FrameCount { get; }

    /// <inheritdoc />
    public int Width => _source.Width;

    /// <inheritdoc />
    public int Height => _source.Height;

    /// <inheritdoc />
    public bool IsLive => false;

    /// <inheritdoc />
    public IEnumerable<RgbFrame> ReadFrames(CancellationToken cancellationToken)
    {
        if (_source.Kind == VideoSourceKind.ImageFile)
        {
            return Repeat(cancellationToken);
        }

        return Limit(_source.ReadFrames(), cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // VideoFrameSource opens the file per enumeration and holds nothing between them.
    }

    private IEnumerable<RgbFrame> Limit(IEnumerable<RgbFrame> frames, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var frame in frames)
        {
            if (cancellationToken.IsCancellationRequested || (_limit is { } limit && count >= limit))
            {
                yield break;
            }

            count++;
            yield return frame;
        }
    }

    private IEnumerable<RgbFrame> Repeat(CancellationToken cancellationToken)
    {
        // Decode once; the same pixels go out with increasing indices and timestamps.
        var first = _source.ReadFrames().First();
        var pixels = first.Data.ToArray();
        var total = FrameCount ?? 1;
        for (var i = 0; i < total && !cancellationToken.IsCancellationRequested; i++)
        {
            yield return first with { Data = pixels, Index = i, Timestamp = TimeSpan.FromSeconds(i / Fps) };
        }
    }
}
