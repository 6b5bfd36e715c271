using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// What a client sends a session, whatever carries it: the first request holds the <see cref="SessionConfig"/>,
/// later ones frames and control updates (the protocol's <see cref="StreamRequest"/> messages are the data model
/// of every transport).
/// </summary>
public interface ISessionInput
{
    /// <summary>
    /// The next request, or null once the client has finished sending (a gRPC half-close, a WebSocket close frame,
    /// the end of a broadcast's video). A request may stay queued in the session after the next read, so an input
    /// must not reuse a returned message or its payload.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired, or the client went away.</exception>
    ValueTask<StreamRequest?> ReadAsync(CancellationToken cancellationToken);
}
