using OpenCvSharp;

namespace StreamDiffusion.StreamClient.Output;

/// <summary>
/// Shows returned frames in an OpenCV (highgui) window (<c>--show</c>). Only created on request, so tests and
/// headless machines never touch the GUI libraries. Pressing q or Esc in the window calls the close callback
/// (the client then stops sending and finishes cleanly).
/// </summary>
public sealed unsafe class PreviewWindow : IFrameSink
{
    private const int EscapeKey = 27;
    private readonly string _title;
    private readonly Action? _closeRequested;
    private readonly Mat _rgb = new();
    private readonly Mat _bgr = new();
    private bool _opened;

    /// <summary>Creates the window description; the window itself opens on <see cref="Open"/>.</summary>
    public PreviewWindow(string title, Action? closeRequested)
    {
        _title = title;
        _closeRequested = closeRequested;
    }

    /// <inheritdoc />
    public void Open(int width, int height, double fps)
    {
        Cv2.NamedWindow(_title, WindowFlags.AutoSize);
        _opened = true;
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> rgb, int width, int height)
    {
        _rgb.Create(height, width, MatType.CV_8UC3);
        var step = (int)_rgb.Step();
        for (var y = 0; y < height; y++)
        {
            rgb.Slice(y * width * 3, width * 3).CopyTo(new Span<byte>((byte*)_rgb.Data + ((long)y * step), width * 3));
        }

        Cv2.CvtColor(_rgb, _bgr, ColorConversionCodes.RGB2BGR);
        Cv2.ImShow(_title, _bgr);

        // WaitKey pumps the window's events; 1 ms keeps the receive loop moving.
        var key = Cv2.WaitKey(1) & 0xFF;
        if (key is 'q' or 'Q' or EscapeKey)
        {
            _closeRequested?.Invoke();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_opened)
        {
            Cv2.DestroyWindow(_title);
            _opened = false;
        }

        _rgb.Dispose();
        _bgr.Dispose();
    }
}
