using System.Net.WebSockets;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// <c>/ws/stream</c>: a Stream session over a WebSocket. The socket is adapted to the gRPC call shapes
/// (<see cref="WebSocketRequestReader"/>, <see cref="WebSocketResponseWriter"/>, <see cref="WebSocketCallContext"/>)
/// and handed to <see cref="StreamDiffusionService.Stream"/>, so admission, capacity, validation, limits, the
/// drop-oldest queue and the per-frame metadata are the gRPC path's own. A gRPC status that ends the session
/// becomes an error message and a close status:
/// bad config or input (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND) → 1008 policy violation;
/// RESOURCE_EXHAUSTED (capacity) → 1013 try again later; UNAVAILABLE (shutting down) → 1001 going away;
/// a message over the size limit → 1009 message too big; anything else → 1011 internal error.
/// </summary>
public static partial class WebSocketStreamEndpoint
{
    /// <summary>The non-standard-enum close code 1013 "try again later" (RFC 6455 registry).</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    private static readonly TimeSpan s_closeHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Handles one request to the WebSocket endpoint.</summary>
    public static async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync("/ws/stream expects a WebSocket upgrade; open / for the web page\n", http.RequestAborted).ConfigureAwait(false);
            return;
        }

        var services = http.RequestServices;
        var limits = services.GetRequiredService<IOptions<LimitsOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSocketStreamEndpoint));
        // A browser that sends its key as a subprotocol offers this one too, and needs it selected.
        var subProtocol = http.WebSockets.WebSocketRequestedProtocols.Contains(Security.PresentedCredential.WebSocketProtocol)
            ? Security.PresentedCredential.WebSocketProtocol
            : null;
        using var socket = await http.WebSockets.AcceptWebSocketAsync(subProtocol).ConfigureAwait(false);
        var peer = $"ws:{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}";
        using var call = new WebSocketCallContext(peer, http.Request.Host.Value ?? string.Empty, http.RequestAborted);
        var reader = new WebSocketRequestReader(socket, call, limits.MaxMessageBytes);
        using var writer = new WebSocketResponseWriter(socket, call);
        var service = ActivatorUtilities.CreateInstance<StreamDiffusionService>(services);

        // With auth on, the key's limits hold here as on gRPC (the access gate already refused a request without a key).
        var admission = services.GetService<Security.KeyAdmission>();
        var identity = Security.ClientIdentity.Of(http);
        using var admitted = admission is not null && identity is not null
            ? new Security.AdmittingStreamReader(reader, admission, identity, call.CancellationToken)
            : null;

        var status = WebSocketCloseStatus.NormalClosure;
        var description = "session ended";
        try
        {
            await service.Stream((IAsyncStreamReader<Protos.V1.StreamRequest>?)admitted ?? reader, writer, call).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            status = CloseStatus(ex.StatusCode, reader.MessageTooBig);
            description = ex.Status.Detail;
            await writer.TryWriteErrorAsync(ex.StatusCode, ex.Status.Detail).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (call.CancellationToken.IsCancellationRequested)
        {
            // The client went away; nobody is left to tell.
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // What gRPC would report as UNKNOWN: keep the host up, tell the client, log it once.
            LogFailed(logger, peer, ex);
            status = WebSocketCloseStatus.InternalServerError;
            description = "session failed: " + ex.Message;
            await writer.TryWriteErrorAsync(StatusCode.Internal, description).ConfigureAwait(false);
        }

        await CloseAsync(socket, reader, status, description).ConfigureAwait(false);
    }

    /// <summary>Close status for a status code that ended a session.</summary>
    public static WebSocketCloseStatus CloseStatus(StatusCode code, bool messageTooBig) => code switch
    {
        _ when messageTooBig => WebSocketCloseStatus.MessageTooBig,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.OutOfRange
            or StatusCode.PermissionDenied or StatusCode.Unauthenticated => WebSocketCloseStatus.PolicyViolation,
        StatusCode.ResourceExhausted => TryAgainLater,
        StatusCode.Unavailable => WebSocketCloseStatus.EndpointUnavailable,
        _ => WebSocketCloseStatus.InternalServerError,
    };

    /// <summary>Shortens a close reason to the 123 UTF-8 bytes a close frame can carry.</summary>
    public static string CloseReason(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const int max = 123;
        if (Encoding.UTF8.GetByteCount(message) <= max)
        {
            return message;
        }

        var end = message.Length;
        while (end > 0 && Encoding.UTF8.GetByteCount(message.AsSpan(0, end)) > max - 3)
        {
            end--;
        }

        // Do not cut a surrogate pair in half.
        if (end > 0 && char.IsHighSurrogate(message[end - 1]))
        {
            end--;
        }

        return string.Concat(message.AsSpan(0, end), "...");
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketRequestReader reader, WebSocketCloseStatus status, string description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(s_closeHandshakeTimeout);
        try
        {
            // Output only: a receive may still be pending in the reader, which then sees the client's close.
            await socket.CloseOutputAsync(status, CloseReason(description), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Abort();
            return;
        }

        await reader.DrainAsync(s_closeHandshakeTimeout).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "WebSocket session from {Peer} failed")]
    private static partial void LogFailed(ILogger logger, string peer, Exception exception);
}
