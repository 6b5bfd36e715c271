using System.Globalization;
using System.Net.WebSockets;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// A WebSocket's incoming messages as a session's requests: the first text message is the
/// SessionConfig, later text messages are ControlUpdates, binary messages are JPEG (or PNG) frames numbered
/// 1, 2, 3, ... in arrival order. A close from the client ends the requests like a gRPC half-close.
/// </summary>
/// <remarks>
/// Cancelling a pending WebSocket receive aborts the socket, which would leave no way to send the client an
/// error and a close status. So the receive itself never takes the session's token: <see cref="ReadAsync"/> waits
/// on it with the token, and a receive still pending when the session ends is finished by
/// <see cref="DrainAsync"/> after the close frame went out.
/// </remarks>
public sealed class WebSocketRequestReader : ISessionInput
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly WebSocket _socket;
    private readonly ClientLifetime _client;
    private readonly int _maxMessageBytes;
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private Task<ValueWebSocketReceiveResult>? _pending;
    private bool _configSeen;
    private ulong _sequence;

    /// <summary>Creates the reader; messages longer than <paramref name="maxMessageBytes"/> end the session.</summary>
    public WebSocketRequestReader(WebSocket socket, ClientLifetime client, int maxMessageBytes)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>True once the client sent its close frame.</summary>
    public bool CloseReceived { get; private set; }

    /// <summary>True when the session ended because a message exceeded the size limit.</summary>
    public bool MessageTooBig { get; private set; }

    /// <inheritdoc />
    public async ValueTask<StreamRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        var type = await ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
        if (type == WebSocketMessageType.Close)
        {
            return null;
        }

        if (type == WebSocketMessageType.Text)
        {
            var text = _buffer.AsSpan(0, _length);
            var request = _configSeen
                ? new StreamRequest { Control = WebSocketJson.ParseControl(text) }
                : new StreamRequest { Config = WebSocketJson.ParseConfig(text) };
            _configSeen = true;
            return request;
        }

        // The frame outlives this call in the session's queue, so it gets its own copy (as a gRPC message does).
        var data = _buffer.AsSpan(0, _length);
        return new StreamRequest
        {
            Frame = new InputFrame
            {
                Data = ByteString.CopyFrom(data),
                Format = data.StartsWith(PngSignature) ? FrameFormat.Png : FrameFormat.Jpeg,
                Sequence = ++_sequence,
            },
        };
    }

    /// <summary>
    /// After the server's close frame went out: reads and discards what the client still sends until its close
    /// frame arrives (completing the close handshake) or <paramref name="timeout"/> passes; then the socket is
    /// aborted if it is not closed.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // Fragments are received over each other at the start of the buffer: nothing is kept.
            while (!CloseReceived && _socket.State is WebSocketState.CloseSent or WebSocketState.Open)
            {
                _pending ??= _socket.ReceiveAsync(_buffer.AsMemory(), CancellationToken.None).AsTask();
                var result = await _pending.WaitAsync(cts.Token).ConfigureAwait(false);
                _pending = null;
                CloseReceived = result.MessageType == WebSocketMessageType.Close;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            _socket.Abort();
        }
    }

    private async Task<WebSocketMessageType> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        _length = 0;
        while (true)
        {
            if (_length == _buffer.Length)
            {
                Grow();
            }

            ValueWebSocketReceiveResult result;
            try
            {
                _pending ??= _socket.ReceiveAsync(_buffer.AsMemory(_length), CancellationToken.None).AsTask();
                result = await _pending.WaitAsync(cancellationToken).ConfigureAwait(false);
                _pending = null;
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
            {
                // The connection is gone: end the call the way a vanished gRPC client does.
                _pending = null;
                _client.Abort();
                throw new OperationCanceledException("the WebSocket connection was lost", ex, _client.Token);
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                CloseReceived = true;
                return WebSocketMessageType.Close;
            }

            _length += result.Count;
            if (result.EndOfMessage)
            {
                return result.MessageType;
            }
        }
    }

    private void Grow()
    {
        if (_buffer.Length > _maxMessageBytes)
        {
            MessageTooBig = true;
            throw new RpcException(new Status(StatusCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"message: more than {_maxMessageBytes} bytes (Limits:MaxFrameBytes plus overhead)")));
        }

        var next = new byte[(int)Math.Min((long)_buffer.Length * 2, (long)_maxMessageBytes + 1)];
        _buffer.AsSpan(0, _length).CopyTo(next);
        _buffer = next;
    }
}
