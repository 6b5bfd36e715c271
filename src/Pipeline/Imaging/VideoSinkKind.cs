namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>What a <see cref="VideoFrameSink"/> writes.</summary>
public enum VideoSinkKind
{
    /// <summary>A video file (.mp4 with MPEG-4 Part 2 "mp4v", .avi with Motion JPEG "MJPG").</summary>
    VideoFile = 0,

    /// <summary>Numbered PNG files (frame_000000.png, …) in a folder.</summary>
    ImageFolder = 1,
}
