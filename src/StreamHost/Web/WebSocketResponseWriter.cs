using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// A session's responses over a WebSocket. Every response becomes one JSON text message
/// (<c>"type"</c>: started, frame, stats or error); a frame with an image is followed by one binary message with
/// the image bytes (the <c>"bytes"</c> field of the metadata says how many; 0 means no binary message follows).
/// </summary>
/// <remarks>
/// Sends are cancelled only by the connection going away, never by the session's own token: cancelling a send
/// aborts the socket, and the endpoint still wants to send an error and a close status after a failed session.
/// One JSON buffer and writer are reused for every message.
/// </remarks>
public sealed class WebSocketResponseWriter : ISessionOutput, IDisposable
{
    private readonly WebSocket _socket;
    private readonly ClientLifetime _client;
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly Utf8JsonWriter _writer;

    /// <summary>Creates the writer over an accepted socket.</summary>
    public WebSocketResponseWriter(WebSocket socket, ClientLifetime client)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _writer = new Utf8JsonWriter(_json);
    }

    /// <summary>The session id from the started message, once sent.</summary>
    public string? SessionId { get; private set; }

    /// <inheritdoc />
    public async Task WriteAsync(StreamResponse message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        switch (message.PayloadCase)
        {
            case StreamResponse.PayloadOneofCase.Started:
                WriteStarted(message.Started);
                await SendJsonAsync().ConfigureAwait(false);
                break;
            case StreamResponse.PayloadOneofCase.Frame:
                var frame = message.Frame;
                WriteFrame(frame);
                await SendJsonAsync().ConfigureAwait(false);
                if (!frame.Data.IsEmpty)
                {
                    await SendAsync(frame.Data.Memory, WebSocketMessageType.Binary).ConfigureAwait(false);
                }

                break;
            case StreamResponse.PayloadOneofCase.Stats:
                WriteStats(message.Stats);
                await SendJsonAsync().ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    /// <summary>Sends <c>{"type":"error","code":"INVALID_ARGUMENT","message":...}</c>; false if the socket is gone.</summary>
    public async Task<bool> TryWriteErrorAsync(StatusCode code, string message)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return false;
        }

        Begin("error");
        _writer.WriteString("code", CodeName(code));
        _writer.WriteString("message", message);
        try
        {
            await SendJsonAsync().ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    /// <summary>gRPC status code name in upper snake case, e.g. RESOURCE_EXHAUSTED.</summary>
    public static string CodeName(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.Unknown => "UNKNOWN",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.Aborted => "ABORTED",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Internal => "INTERNAL",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private void Begin(string type)
    {
        _json.ResetWrittenCount();
        _writer.Reset(_json);
        _writer.WriteStartObject();
        _writer.WriteString("type", type);
    }

    private void WriteStarted(SessionStarted started)
    {
        SessionId = started.SessionId;
        Begin("started");
        _writer.WriteString("session_id", started.SessionId);
        _writer.WriteString("model", started.Model);
        _writer.WriteNumber("width", started.Width);
        _writer.WriteNumber("height", started.Height);
        _writer.WriteStartArray("t_index_list");
        foreach (var t in started.TIndexList)
        {
            _writer.WriteNumberValue(t);
        }

        _writer.WriteEndArray();
        _writer.WriteString("cfg_type", WebSocketJson.ShortName(started.CfgType, "CFG_TYPE_"));
        _writer.WriteString("output_encoding", WebSocketJson.ShortName(started.OutputEncoding, "OUTPUT_ENCODING_"));
        _writer.WriteString("mjpeg_url", WebEndpoints.MjpegPath(started.SessionId));
    }

    private void WriteFrame(OutputFrame frame)
    {
        Begin("frame");
        _writer.WriteNumber("sequence", frame.Sequence);
        _writer.WriteNumber("client_timestamp_us", frame.ClientTimestampUs);
        _writer.WriteNumber("bytes", frame.Data.Length);
        if (!frame.Data.IsEmpty)
        {
            _writer.WriteString("format", WebSocketJson.ShortName(frame.Format, "FRAME_FORMAT_"));
            _writer.WriteNumber("width", frame.Width);
            _writer.WriteNumber("height", frame.Height);
        }

        _writer.WriteBoolean("skipped", frame.Skipped);
        _writer.WriteBoolean("dropped", frame.Dropped);
        if (frame.Timings is { } t)
        {
            _writer.WriteStartObject("timings");
            _writer.WriteNumber("queue_ms", t.QueueMs);
            _writer.WriteNumber("decode_ms", t.DecodeMs);
            _writer.WriteNumber("denoise_ms", t.DenoiseMs);
            _writer.WriteNumber("encode_ms", t.EncodeMs);
            _writer.WriteNumber("total_ms", t.TotalMs);
            _writer.WriteEndObject();
        }

        if (frame.Error is { } error)
        {
            _writer.WriteStartObject("error");
            _writer.WriteString("code", CodeName((StatusCode)error.Code));
            _writer.WriteString("message", error.Message);
            _writer.WriteEndObject();
        }
    }

    private void WriteStats(SessionStats stats)
    {
        Begin("stats");
        _writer.WriteString("session_id", stats.SessionId);
        _writer.WriteNumber("frames_in", stats.FramesIn);
        _writer.WriteNumber("frames_out", stats.FramesOut);
        _writer.WriteNumber("frames_skipped", stats.FramesSkipped);
        _writer.WriteNumber("frames_dropped", stats.FramesDropped);
        _writer.WriteNumber("frames_dropped_fps_cap", stats.FramesDroppedFpsCap);
        _writer.WriteNumber("frames_failed", stats.FramesFailed);
        _writer.WriteNumber("fps", stats.Fps);
        _writer.WriteNumber("latency_ms_mean", stats.LatencyMsMean);
        _writer.WriteNumber("latency_ms_max", stats.LatencyMsMax);
        _writer.WriteNumber("uptime_seconds", stats.UptimeSeconds);
        _writer.WriteBoolean("final", stats.Final);
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
            await _socket.SendAsync(data, type, endOfMessage: true, _client.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            _client.Abort();
            throw new OperationCanceledException("the WebSocket connection was lost", ex, _client.Token);
        }
    }
}
