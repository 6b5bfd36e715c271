namespace StreamDiffusion.StreamClient.Output;

/// <summary>Where returned frames go: a video file, a PNG folder, a window, or a test's list.</summary>
public interface IFrameSink : IDisposable
{
    /// <summary>Called once, when the host has accepted the session, with the session size and the output frame rate.</summary>
    void Open(int width, int height, double fps);

    /// <summary>Writes one returned image (packed RGB24). The span is only valid during the call.</summary>
    void Write(ReadOnlySpan<byte> rgb, int width, int height);
}
