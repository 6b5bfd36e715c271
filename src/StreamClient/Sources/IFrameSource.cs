using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.StreamClient.Sources;

/// <summary>Where the client's frames come from: a file, a folder, a repeated image or a camera.</summary>
public interface IFrameSource : IDisposable
{
    /// <summary>Human-readable name for the console (path or webcam:N).</summary>
    string Description { get; }

    /// <summary>The source's own frame rate (container rate, camera rate, or 30 for images).</summary>
    double Fps { get; }

    /// <summary>Frames this source will yield, or null when unbounded (a camera without a frame limit).</summary>
    int? FrameCount { get; }

    /// <summary>Width of the first frame in pixels.</summary>
    int Width { get; }

    /// <summary>Height of the first frame in pixels.</summary>
    int Height { get; }

    /// <summary>True for a camera: it delivers frames in real time, so the client does not pace it.</summary>
    bool IsLive { get; }

    /// <summary>
    /// Enumerates the frames (RGB24). Each frame's buffer is reused for the next one. Stops early when
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    IEnumerable<RgbFrame> ReadFrames(CancellationToken cancellationToken);
}
