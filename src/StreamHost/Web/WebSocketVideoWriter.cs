using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Grpc.Core;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// Presents a WebSocket as the response stream of a GenerateVideo call (<c>/ws/video</c>): each
/// <see cref="VideoFrame"/> becomes a JSON text message (<c>"type":"frame"</c>) followed by one binary message with
/// the image. The control loop answers on the same socket, so every send takes one lock (a WebSocket allows one
/// send at a time). Sends are cancelled only when the connection goes away.
/// </summary>
public sealed class WebSocketVideoWriter : IServerStreamWriter<VideoFrame>, IDisposable
{
    private readonly WebSocket _socket;
    private readonly CancellationToken _connectionLost;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly Utf8JsonWriter _writer;
    private string? _sessionId;

    /// <summary>Creates the writer over an accepted socket.</summary>
    /// <param name="socket">The socket.</param>
    /// <param name="connectionLost">Fires when the HTTP connection is gone.</param>
    public WebSocketVideoWriter(WebSocket socket, CancellationToken connectionLost)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _connectionLost = connectionLost;
        _writer = new Utf8JsonWriter(_json);
    }

    /// <inheritdoc />
    public WriteOptions? WriteOptions { get; set; }

    /// <summary>The long-video session id, once the first frame was sent.</summary>
    public string? SessionId => Volatile.Read(ref _sessionId);

    /// <summary>Frames sent.</summary>
    public long FramesSent { get; private set; }

    /// <inheritdoc />
    public Task WriteAsync(VideoFrame message) => WriteAsync(message, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteAsync(VideoFrame message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        await _sendLock.WaitAsync(_connectionLost).ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _sessionId, message.SessionId);
            Begin("frame");
            _writer.WriteNumber("index", message.Index);
            _writer.WriteString("session_id", message.SessionId);
            _writer.WriteString("mjpeg_url", WebEndpoints.MjpegPath(message.SessionId));
            _writer.WriteString("prompt", message.Prompt);
            _writer.WriteString("format", WebSocketJson.ShortName(message.Format, "FRAME_FORMAT_"));
            _writer.WriteNumber("width", message.Width);
            _writer.WriteNumber("height", message.Height);
            _writer.WriteNumber("bytes", message.Data.Length);
            if (message.Timings is { } t)
            {
                _writer.WriteStartObject("timings");
                _writer.WriteNumber("denoise_ms", t.DenoiseMs);
                _writer.WriteNumber("decode_ms", t.DecodeMs);
                _writer.WriteNumber("encode_ms", t.EncodeMs);
                _writer.WriteNumber("total_ms", t.TotalMs);
                _writer.WriteEndObject();
            }

            await SendJsonAsync().ConfigureAwait(false);
            await SendAsync(message.Data.Memory, WebSocketMessageType.Binary).ConfigureAwait(false);
            FramesSent++;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Answers a control message: <c>{"type":"control","applies_from_frame":N,"arrival_frames":L}</c>.</summary>
    public Task WriteControlAsync(VideoControlResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return SendLockedAsync(() =>
        {
            Begin("control");
            _writer.WriteNumber("applies_from_frame", response.AppliesFromFrame);
            _writer.WriteNumber("arrival_frames", response.ArrivalFrames);
        });
    }

    /// <summary>
    /// A refused control message (the video goes on): <c>{"type":"control_error","code":...,"message":...}</c>,
    /// or, with <paramref name="type"/> "error", the error that ends the session.
    /// </summary>
    public async Task<bool> TryWriteErrorAsync(StatusCode code, string message, string type = "error")
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return false;
        }

        try
        {
            await SendLockedAsync(() =>
            {
                Begin(type);
                _writer.WriteString("code", WebSocketResponseWriter.CodeName(code));
                _writer.WriteString("message", message);
            }).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The video reached num_frames: <c>{"type":"end","frames":N}</c>.</summary>
    public Task WriteEndAsync() => SendLockedAsync(() =>
    {
        Begin("end");
        _writer.WriteNumber("frames", FramesSent);
    });

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _sendLock.Dispose();
    }

    private async Task SendLockedAsync(Action build)
    {
        await _sendLock.WaitAsync(_connectionLost).ConfigureAwait(false);
        try
        {
            build();
            await SendJsonAsync().ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void Begin(string type)
    {
        _json.ResetWrittenCount();
        _writer.Reset(_json);
        _writer.WriteStartObject();
        _writer.WriteString("type", type);
    }

    private Task SendJsonAsync()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        return SendAsync(_json.WrittenMemory, WebSocketMessageType.Text);
    }

    private async Task SendAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type)
    {
        try
        {
            await _socket.SendAsync(data, type, endOfMessage: true, _connectionLost).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            throw new OperationCanceledException("the WebSocket connection was lost", ex, _connectionLost);
        }
    }
}
