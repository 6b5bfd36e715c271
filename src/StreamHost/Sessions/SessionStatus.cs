using Grpc.Core;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// How a session ended, for its transport to tell the client. Codes are the protocol's status codes (the gRPC codes
/// the .proto and the WebSocket messages use); each transport delivers them its own way (<see cref="ISessionTransport.CompleteAsync"/>).
/// </summary>
/// <param name="Code">OK for a session that ran to its end.</param>
/// <param name="Detail">What the client is told (empty for OK).</param>
/// <param name="ClientGone">The client went away first: there is nobody left to tell.</param>
public readonly record struct SessionStatus(StatusCode Code, string Detail, bool ClientGone = false)
{
    /// <summary>The client finished and every frame was answered.</summary>
    public static SessionStatus Ok { get; } = new(StatusCode.OK, string.Empty);

    /// <summary>The client cancelled, reset or dropped the connection.</summary>
    public static SessionStatus Gone { get; } = new(StatusCode.Cancelled, "the client went away", ClientGone: true);

    /// <summary>True for a status the client must be told as an error.</summary>
    public bool IsError => Code != StatusCode.OK && !ClientGone;

    /// <summary>The status an <see cref="RpcException"/> (what the validators throw) carries.</summary>
    public static SessionStatus From(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new(exception.StatusCode, exception.Status.Detail);
    }
}
