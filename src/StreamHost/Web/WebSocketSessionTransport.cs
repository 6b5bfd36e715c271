using System.Net.WebSockets;
using System.Security.Claims;
using Grpc.Core;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// An accepted WebSocket as a session transport: JSON and binary messages in (<see cref="WebSocketRequestReader"/>)
/// and out (<see cref="WebSocketResponseWriter"/>), the client gone when the HTTP request is aborted or the socket
/// fails, the socket aborted for a client that stopped reading, and the final status sent as an error message and a
/// close frame whose code says what happened (<see cref="WebSocketStreamEndpoint.CloseStatus"/>).
/// </summary>
public sealed class WebSocketSessionTransport : ISessionTransport, IDisposable
{
    private static readonly TimeSpan s_closeHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly ClientLifetime _client;
    private readonly WebSocketRequestReader _reader;
    private readonly WebSocketResponseWriter _writer;

    /// <summary>
    /// Creates the transport over <paramref name="socket"/>; messages over <paramref name="maxMessageBytes"/> end the
    /// session; <paramref name="maxFramesPerSecond"/> is the caller's own frame-rate cap (0: none) and
    /// <paramref name="owner"/> the authenticated client the session belongs to (null: none).
    /// </summary>
    public WebSocketSessionTransport(WebSocket socket, string peer, ClaimsPrincipal? user, int maxMessageBytes, CancellationToken requestAborted, double maxFramesPerSecond = 0, string? owner = null)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _client = new ClientLifetime(requestAborted);
        _reader = new WebSocketRequestReader(socket, _client, maxMessageBytes);
        _writer = new WebSocketResponseWriter(socket, _client);
        Identity = new SessionIdentity("websocket", peer, user, maxFramesPerSecond, owner);
    }

    /// <inheritdoc />
    public SessionIdentity Identity { get; }

    /// <inheritdoc />
    public ISessionInput Input => _reader;

    /// <inheritdoc />
    public ISessionOutput Output => _writer;

    /// <inheritdoc />
    public CancellationToken ClientGone => _client.Token;

    /// <inheritdoc />
    public void AbortStalledWriter()
    {
        // A close frame cannot get past the unsent data either: the pending send fails and the connection ends.
        _socket.Abort();
        _client.Abort();
    }

    /// <inheritdoc />
    public async Task CompleteAsync(SessionStatus status)
    {
        var close = WebSocketCloseStatus.NormalClosure;
        var description = "session ended";
        if (status.IsError)
        {
            close = WebSocketStreamEndpoint.CloseStatus(status.Code, _reader.MessageTooBig);
            description = status.Detail;
            await _writer.TryWriteErrorAsync(status.Code, status.Detail).ConfigureAwait(false);
        }

        await CloseAsync(close, description).ConfigureAwait(false);
    }

    /// <summary>Ends a session that failed with an unexpected error (what gRPC would report as UNKNOWN).</summary>
    public Task FailAsync(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return CompleteAsync(new SessionStatus(StatusCode.Internal, "session failed: " + exception.Message));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _client.Dispose();
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string description)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(s_closeHandshakeTimeout);
        try
        {
            // Output only: a receive may still be pending in the reader, which then sees the client's close.
            await _socket.CloseOutputAsync(status, WebSocketStreamEndpoint.CloseReason(description), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _socket.Abort();
            return;
        }

        await _reader.DrainAsync(s_closeHandshakeTimeout).ConfigureAwait(false);
    }
}
