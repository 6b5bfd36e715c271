namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>What a <see cref="VideoFrameSource"/> reads from.</summary>
public enum VideoSourceKind
{
    /// <summary>A video file read with OpenCV's FFmpeg backend.</summary>
    VideoFile = 0,

    /// <summary>A single still image (one frame).</summary>
    ImageFile = 1,

    /// <summary>A folder of images, one frame each, in ordinal file-name order.</summary>
    ImageFolder = 2,
}
