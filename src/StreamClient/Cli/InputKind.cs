namespace StreamDiffusion.StreamClient.Cli;

/// <summary>What <c>--input</c> names.</summary>
public enum InputKind
{
    /// <summary>A video file, an image file or a folder of images.</summary>
    Path = 0,

    /// <summary>A camera opened by index through OpenCV.</summary>
    Webcam = 1,
}
