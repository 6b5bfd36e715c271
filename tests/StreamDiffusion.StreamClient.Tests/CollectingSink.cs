using StreamDiffusion.StreamClient.Output;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>Keeps copies of every frame written, for pixel assertions.</summary>
internal sealed class CollectingSink : IFrameSink
{
    public List<(byte[] Rgb, int Width, int Height)> Frames { get; } = [];

    public (int Width, int Height, double Fps)? OpenedWith { get; private set; }

    public void Open(int width, int height, double fps) => OpenedWith = (width, height, fps);

    public void Write(ReadOnlySpan<byte> rgb, int width, int height) => Frames.Add((rgb.ToArray(), width, height));

    public void Dispose()
    {
    }
}
