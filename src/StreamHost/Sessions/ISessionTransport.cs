namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// A Stream session's connection to its client, whatever the protocol (gRPC, WebSocket, SRT/RTMP broadcast ingest):
/// requests in, responses out, the client-gone signal, who the client is, and the two things only the transport
/// knows how to do: end a write that the client stopped reading, and deliver the final status.
/// </summary>
public interface ISessionTransport
{
    /// <summary>Who the session runs for.</summary>
    SessionIdentity Identity { get; }

    /// <summary>Requests from the client.</summary>
    ISessionInput Input { get; }

    /// <summary>Responses to the client.</summary>
    ISessionOutput Output { get; }

    /// <summary>Fires when the client has gone away (cancelled, reset, disconnected): the session stops at once.</summary>
    CancellationToken ClientGone { get; }

    /// <summary>
    /// A response write has not completed for the client read timeout: free what the transport holds for it and make
    /// the pending write fail (gRPC resets the HTTP/2 stream with ENHANCE_YOUR_CALM, which clients report as
    /// RESOURCE_EXHAUSTED; a WebSocket is aborted; a broadcast kills its output encoder). The session ends with
    /// RESOURCE_EXHAUSTED "client not reading" and then calls <see cref="CompleteAsync"/>.
    /// </summary>
    void AbortStalledWriter();

    /// <summary>
    /// Delivers the final status once the session is over and its resources are released: gRPC throws it as an
    /// RpcException (it becomes the call's trailers), a WebSocket sends an error message and a close frame with a
    /// matching code, a broadcast records it as the key's outcome and ends the broadcaster's connection.
    /// </summary>
    Task CompleteAsync(SessionStatus status);
}
