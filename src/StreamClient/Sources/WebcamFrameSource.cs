using System.Runtime.InteropServices;
using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.StreamClient.Sources;

/// <summary>
/// A camera opened by index through OpenCV's <see cref="VideoCapture"/>. Reading blocks until the camera
/// delivers the next frame, so the camera paces the stream. Frames are converted to RGB24 into one reused buffer.
/// </summary>
public sealed class WebcamFrameSource : IFrameSource
{
    private readonly VideoCapture _capture;
    private readonly int? _limit;

    /// <summary>Opens camera <paramref name="index"/>.</summary>
    /// <param name="index">Camera index (0 is the first camera).</param>
    /// <param name="frames">Stop after this many frames; null runs until cancelled.</param>
    /// <exception cref="InvalidDataException">The camera cannot be opened.</exception>
    public WebcamFrameSource(int index, int? frames = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (frames is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(frames), frames, "The frame limit must be positive.");
        }

        Index = index;
        _limit = frames;
        _capture = new VideoCapture(index);
        if (!_capture.IsOpened())
        {
            _capture.Dispose();
            throw new InvalidDataException($"Cannot open webcam {index} (no such camera, or it is in use).");
        }

        var fps = _capture.Fps;
        Fps = double.IsFinite(fps) && fps > 0 ? fps : 30;
        Width = _capture.FrameWidth;
        Height = _capture.FrameHeight;
    }

    /// <summary>The camera index.</summary>
    public int Index { get; }

    /// <inheritdoc />
    public string Description => $"webcam:{Index}";

    /// <inheritdoc />
    public double Fps { get; }

    /// <inheritdoc />
    public int? FrameCount => _limit;

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public bool IsLive => true;

    /// <inheritdoc />
    public IEnumerable<RgbFrame> ReadFrames(CancellationToken cancellationToken)
    {
        using var bgr = new Mat();
        using var rgb = new Mat();
        byte[] buffer = [];
        for (var index = 0; (_limit is null || index < _limit) && !cancellationToken.IsCancellationRequested; index++)
        {
            if (!_capture.Read(bgr) || bgr.Empty())
            {
                yield break;
            }

            Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
            var length = rgb.Width * rgb.Height * 3;
            if (buffer.Length != length)
            {
                buffer = new byte[length];
            }

            Marshal.Copy(rgb.Data, buffer, 0, length);
            yield return new RgbFrame(buffer, rgb.Width, rgb.Height, rgb.Width * 3, index, TimeSpan.FromSeconds(index / Fps));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _capture.Release();
        _capture.Dispose();
    }
}
