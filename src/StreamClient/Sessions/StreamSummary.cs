using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Reporting;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>The totals of a finished stream.</summary>
public sealed record StreamSummary
{
    /// <summary>Host-assigned session id.</summary>
    public required string SessionId { get; init; }

    /// <summary>Session width the host used.</summary>
    public required int Width { get; init; }

    /// <summary>Session height the host used.</summary>
    public required int Height { get; init; }

    /// <summary>Frames sent.</summary>
    public required long FramesSent { get; init; }

    /// <summary>Responses with an image (processed or skipped).</summary>
    public required long FramesReceived { get; init; }

    /// <summary>Of <see cref="FramesReceived"/>, those the similarity filter skipped.</summary>
    public required long FramesSkipped { get; init; }

    /// <summary>Frames the host dropped under load.</summary>
    public required long FramesDropped { get; init; }

    /// <summary>Frames that failed.</summary>
    public required long FramesFailed { get; init; }

    /// <summary>Frames sent that never got a response (the stream was cut or the drain timed out).</summary>
    public long FramesUnanswered => FramesSent - FramesReceived - FramesDropped - FramesFailed;

    /// <summary>Images written to the sink.</summary>
    public required long FramesWritten { get; init; }

    /// <summary>Control messages sent.</summary>
    public required long ControlsSent { get; init; }

    /// <summary>Latency of received frames.</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>From the config being sent to the last response.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Received frames per second over <see cref="Elapsed"/>.</summary>
    public double Fps => Elapsed > TimeSpan.Zero ? FramesReceived / Elapsed.TotalSeconds : 0;

    /// <summary>The host's final statistics, or null when the stream ended without them.</summary>
    public SessionStats? ServerStats { get; init; }

    /// <summary>The first frame error the host reported, if any.</summary>
    public FrameError? FirstError { get; init; }

    /// <summary>True when the host's final counters agree with the client's.</summary>
    public bool MatchesServer => ServerStats is { } s
        && (long)s.FramesIn == FramesSent
        && (long)s.FramesOut == FramesReceived
        && (long)s.FramesSkipped == FramesSkipped
        && (long)s.FramesDropped == FramesDropped
        && (long)s.FramesFailed == FramesFailed;
}
