namespace StreamDiffusion.StreamClient.Cli;

/// <summary>Everything a client run is configured with (the command line, parsed and validated).</summary>
public sealed record StreamClientOptions
{
    /// <summary>Default <see cref="MaxInFlight"/>: one frame being processed and one queued, which the host's input queue of 2 holds without dropping.</summary>
    public const int DefaultMaxInFlight = 2;

    /// <summary>gRPC address of the host, e.g. http://127.0.0.1:50051 (the first of <see cref="Replicas"/> when several are given).</summary>
    public required Uri Server { get; init; }

    /// <summary>
    /// Several replicas' addresses (plain http): calls are balanced round-robin over them and a refused call is retried
    /// on the next one. Empty: <see cref="Server"/> alone.
    /// </summary>
    public IReadOnlyList<Uri> Replicas { get; init; } = [];

    /// <summary>What to stream.</summary>
    public required InputSpec Input { get; init; }

    /// <summary>Video file (.mp4, .avi) or folder of PNGs for the returned frames; null writes nothing.</summary>
    public string? Output { get; init; }

    /// <summary>Initial prompt.</summary>
    public string Prompt { get; init; } = string.Empty;

    /// <summary>
    /// Send rate in frames per second. Null: the source's rate (a webcam paces itself). 0: as fast as the
    /// server accepts, with at most <see cref="MaxInFlight"/> frames unanswered.
    /// </summary>
    public double? Fps { get; init; }

    /// <summary>Session width and height: frames are center-cropped and resized to it before sending. Default 512.</summary>
    public int Size { get; init; } = 512;

    /// <summary>Wire format of input and output frames. Default JPEG.</summary>
    public WireFormat Format { get; init; } = WireFormat.Jpeg;

    /// <summary>JPEG quality 1..100 for sent frames and the server's output. Default 85.</summary>
    public int Quality { get; init; } = 85;

    /// <summary>Model pack name; empty for the host's default.</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>Frames to send: at most this many from a video, folder or webcam; the repeat count of a single image (default 1). Null: all.</summary>
    public int? Frames { get; init; }

    /// <summary>Show the returned frames in an OpenCV window.</summary>
    public bool Show { get; init; }

    /// <summary>Most frames sent but not yet answered when <see cref="Fps"/> is 0.</summary>
    public int MaxInFlight { get; init; } = DefaultMaxInFlight;

    /// <summary>How long to wait for the host to accept the session (model loading included).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After the last frame is sent, how long to wait for the remaining responses.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
