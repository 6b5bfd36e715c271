namespace StreamDiffusion.StreamHost.Options;

/// <summary>Admission and input limits (configuration section <c>Limits</c>).</summary>
public sealed class LimitsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Limits";

    /// <summary>Room for the protobuf envelope and the other fields of a message around the frame bytes.</summary>
    public const int MessageOverheadBytes = 64 * 1024;

    /// <summary>Concurrent sessions (Stream and Generate calls); one more is refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxSessions { get; set; } = 4;

    /// <summary>Largest accepted frame payload in bytes. The default fits raw 1024x1024 RGB24 with row padding.</summary>
    public int MaxFrameBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest frame and session width in pixels.</summary>
    public int MaxWidth { get; set; } = 1024;

    /// <summary>Largest frame and session height in pixels.</summary>
    public int MaxHeight { get; set; } = 1024;

    /// <summary>A stream sending this many invalid frames in a row is ended with INVALID_ARGUMENT.</summary>
    public int MaxConsecutiveBadFrames { get; set; } = 10;

    /// <summary>gRPC receive and send message limit derived from <see cref="MaxFrameBytes"/>.</summary>
    public int MaxMessageBytes => checked(MaxFrameBytes + MessageOverheadBytes);
}
