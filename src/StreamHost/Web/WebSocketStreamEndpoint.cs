using System.Net.WebSockets;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// <c>/ws/stream</c>: a Stream session over a WebSocket. The socket becomes a <see cref="WebSocketSessionTransport"/>
/// and runs through <see cref="StreamSessionRunner"/>, so admission, capacity, validation, limits, the drop-oldest
/// queue and the per-frame metadata are the gRPC path's own. A status that ends the session becomes an error message
/// and a close status:
/// bad config or input (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND) → 1008 policy violation;
/// RESOURCE_EXHAUSTED (capacity) → 1013 try again later; UNAVAILABLE (shutting down) → 1001 going away;
/// a message over the size limit → 1009 message too big; anything else → 1011 internal error.
/// </summary>
public static partial class WebSocketStreamEndpoint
{
    /// <summary>The non-standard-enum close code 1013 "try again later" (RFC 6455 registry).</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

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
        var runner = services.GetRequiredService<StreamSessionRunner>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSocketStreamEndpoint));
        // A browser that sends its key as a subprotocol offers this one too, and needs it selected.
        var subProtocol = http.WebSockets.WebSocketRequestedProtocols.Contains(Security.PresentedCredential.WebSocketProtocol)
            ? Security.PresentedCredential.WebSocketProtocol
            : null;
        using var socket = await http.WebSockets.AcceptWebSocketAsync(subProtocol).ConfigureAwait(false);
        var peer = $"ws:{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}";
        var identity = Security.ClientIdentity.Of(http);
        using var transport = new WebSocketSessionTransport(socket, peer, http.User, limits.MaxMessageBytes, http.RequestAborted, identity?.Limits.MaxFps ?? 0, identity?.Owner);

        // With auth on, the key's limits hold here as on gRPC (the access gate already refused a request without a key).
        var admission = services.GetService<Security.KeyAdmission>();
        using var admitted = admission is not null && identity is not null ? new Security.AdmittingSessionTransport(transport, admission, identity) : null;
        try
        {
            await runner.RunAsync((ISessionTransport?)admitted ?? transport).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // What gRPC would report as UNKNOWN: keep the host up, tell the client, log it once.
            LogFailed(logger, peer, ex);
            await transport.FailAsync(ex).ConfigureAwait(false);
        }
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

    [LoggerMessage(Level = LogLevel.Error, Message = "WebSocket session from {Peer} failed")]
    private static partial void LogFailed(ILogger logger, string peer, Exception exception);
}
