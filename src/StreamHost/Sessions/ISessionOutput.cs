using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>Where a session's answers go: SessionStarted, one OutputFrame per input frame, and stats.</summary>
public interface ISessionOutput
{
    /// <summary>
    /// Sends <paramref name="response"/>; the session reuses the message for its next write once this completes.
    /// The session checks <paramref name="cancellationToken"/> before every write. A transport whose write cannot
    /// be cancelled without destroying its way of reporting the final status (gRPC resets the whole HTTP/2 stream)
    /// may finish the write regardless and only stop for the client going away; a write that never finishes is
    /// ended by <see cref="ISessionTransport.AbortStalledWriter"/>.
    /// </summary>
    Task WriteAsync(StreamResponse response, CancellationToken cancellationToken);
}
