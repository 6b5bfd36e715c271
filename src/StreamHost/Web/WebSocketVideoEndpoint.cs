using System.Net.WebSockets;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// <c>/ws/video</c>: GenerateVideo and ControlVideo for the browser, which cannot speak gRPC. The first text
/// message is a GenerateVideoRequest in JSON; the call then runs through <see cref="StreamDiffusionService.GenerateVideo"/>
/// (same validation, capacity, /sessions listing and MJPEG output as over gRPC) with the socket as its response
/// stream (<see cref="WebSocketVideoWriter"/>). Later text messages are prompt changes, answered on the socket
/// and applied through <see cref="StreamDiffusionService.ControlVideo"/>; a refused change is reported and the
/// video goes on. Closing the socket stops the video (the generation is cancelled within an iteration and the
/// capacity slot freed). Protocol and close statuses: docs/api.md.
/// </summary>
public static partial class WebSocketVideoEndpoint
{
    /// <summary>Largest text message (a request or a prompt change) the endpoint reads.</summary>
    public const int MaxTextMessageBytes = 64 * 1024;

    private static readonly TimeSpan s_closeHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Handles one request to the endpoint.</summary>
    public static async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync("/ws/video expects a WebSocket upgrade; open / for the web page\n", http.RequestAborted).ConfigureAwait(false);
            return;
        }

        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSocketVideoEndpoint));
        // A browser that sends its key as a subprotocol offers this one too, and needs it selected.
        var subProtocol = http.WebSockets.WebSocketRequestedProtocols.Contains(Security.PresentedCredential.WebSocketProtocol)
            ? Security.PresentedCredential.WebSocketProtocol
            : null;
        using var socket = await http.WebSockets.AcceptWebSocketAsync(subProtocol).ConfigureAwait(false);
        var peer = $"ws:{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}";
        using var call = new WebSocketVideoCallContext(peer, http.Request.Host.Value ?? string.Empty, http.RequestAborted, http);
        using var writer = new WebSocketVideoWriter(socket, http.RequestAborted);
        var receiver = new TextMessageReceiver(socket);
        var service = ActivatorUtilities.CreateInstance<StreamDiffusionService>(services);
        var status = WebSocketCloseStatus.NormalClosure;
        var description = "video complete";
        Task? controls = null;
        try
        {
            var first = await receiver.ReceiveAsync(call.CancellationToken).ConfigureAwait(false);
            if (first == WebSocketMessageType.Close)
            {
                description = "closed before a request";
            }
            else
            {
                if (first != WebSocketMessageType.Text)
                {
                    throw SessionSettingsValidator.Invalid("request", "the first message must be a JSON GenerateVideoRequest (text), not binary");
                }

                var request = WebSocketJson.ParseVideoRequest(receiver.Message.Span);

                // With auth on, the key's limits hold as on gRPC's GenerateVideo (the access gate already refused an
                // upgrade without a key); the key's slot is held until the video ends.
                var admission = services.GetService<Security.KeyAdmission>();
                using var admitted = admission is not null && Security.ClientIdentity.Of(http) is { } identity
                    ? admission.Admit(identity, request.Model, request.Width, request.Height, string.Empty, call.CancellationToken)
                    : null;
                // On the global queue, not this thread's own: the video runs on this thread from here on.
                controls = Task.Run(() => ControlLoopAsync(receiver, writer, service, call), CancellationToken.None);
                await service.GenerateVideo(request, writer, call).ConfigureAwait(false);
                await writer.WriteEndAsync().ConfigureAwait(false);
            }
        }
        catch (RpcException ex)
        {
            status = WebSocketStreamEndpoint.CloseStatus(ex.StatusCode, receiver.MessageTooBig);
            description = ex.Status.Detail;
            await writer.TryWriteErrorAsync(ex.StatusCode, ex.Status.Detail).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (call.CancellationToken.IsCancellationRequested)
        {
            // The client stopped the video (closed the socket) or went away.
            description = "video stopped";
        }
        catch (OperationCanceledException)
        {
            // Not the client: the host is draining (the session's lease was cancelled).
            status = WebSocketCloseStatus.EndpointUnavailable;
            description = "the host is shutting down";
            await writer.TryWriteErrorAsync(StatusCode.Unavailable, description).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, peer, ex);
            status = WebSocketCloseStatus.InternalServerError;
            description = "video failed: " + ex.Message;
            await writer.TryWriteErrorAsync(StatusCode.Internal, description).ConfigureAwait(false);
        }

        await CloseAsync(socket, status, description, controls).ConfigureAwait(false);
    }

    /// <summary>Reads prompt changes until the client closes; a close (or a lost connection) stops the video.</summary>
    private static async Task ControlLoopAsync(TextMessageReceiver receiver, WebSocketVideoWriter writer, StreamDiffusionService service, WebSocketVideoCallContext call)
    {
        while (true)
        {
            WebSocketMessageType type;
            try
            {
                type = await receiver.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                // Over the size limit: refused, the rest of the message skipped, the video goes on.
                await writer.TryWriteErrorAsync(ex.StatusCode, ex.Status.Detail, "control_error").ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException)
            {
                call.Abort();
                return;
            }

            if (type == WebSocketMessageType.Close)
            {
                call.Abort();
                return;
            }

            try
            {
                if (type != WebSocketMessageType.Text)
                {
                    throw SessionSettingsValidator.Invalid("control", "binary messages are not part of /ws/video; send {\"type\":\"control\",\"prompt\":\"...\"}");
                }

                var control = WebSocketJson.ParseVideoControl(receiver.Message.Span);
                if (writer.SessionId is not { } id)
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition, "control: the video has not started yet; send prompt changes after the first frame"));
                }

                if (control.SessionId.Length > 0 && control.SessionId != id)
                {
                    throw SessionSettingsValidator.Invalid("control.session_id", $"this socket controls session {id}, not {control.SessionId}");
                }

                var response = await service.ControlVideo(new VideoControlRequest { SessionId = id, Prompt = control.Prompt }, call).ConfigureAwait(false);
                await writer.WriteControlAsync(response).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                await writer.TryWriteErrorAsync(ex.StatusCode, ex.Status.Detail, "control_error").ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string description, Task? controls)
    {
        using var timeout = new CancellationTokenSource(s_closeHandshakeTimeout);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, WebSocketStreamEndpoint.CloseReason(description), timeout.Token).ConfigureAwait(false);
            }

            // The control loop sees the client's close (or the lost connection) and ends.
            if (controls is not null)
            {
                await controls.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            socket.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "WebSocket video from {Peer} failed")]
    private static partial void LogFailed(ILogger logger, string peer, Exception exception);

    /// <summary>Receives whole messages up to <see cref="MaxTextMessageBytes"/> into one buffer.</summary>
    private sealed class TextMessageReceiver(WebSocket socket)
    {
        private readonly byte[] _buffer = new byte[MaxTextMessageBytes];
        private int _length;

        public ReadOnlyMemory<byte> Message => _buffer.AsMemory(0, _length);

        public bool MessageTooBig { get; private set; }

        /// <summary>The next message's type (Close when the client closed); its bytes are in <see cref="Message"/>.</summary>
        /// <exception cref="OperationCanceledException">The connection is gone.</exception>
        /// <exception cref="RpcException">INVALID_ARGUMENT: the message is over the limit (it is skipped).</exception>
        public async Task<WebSocketMessageType> ReceiveAsync(CancellationToken cancellationToken)
        {
            _length = 0;
            var tooBig = false;
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    // Past the limit, the rest is read over the buffer's start and dropped.
                    var target = tooBig ? _buffer.AsMemory() : _buffer.AsMemory(_length);
                    result = await socket.ReceiveAsync(target, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
                {
                    throw new OperationCanceledException("the WebSocket connection was lost", ex);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return WebSocketMessageType.Close;
                }

                if (!tooBig)
                {
                    _length += result.Count;
                    tooBig = _length == _buffer.Length && !result.EndOfMessage;
                }

                if (result.EndOfMessage)
                {
                    if (tooBig)
                    {
                        MessageTooBig = true;
                        _length = 0;
                        throw SessionSettingsValidator.Invalid("message", $"more than {MaxTextMessageBytes} bytes");
                    }

                    return result.MessageType;
                }
            }
        }
    }
}
