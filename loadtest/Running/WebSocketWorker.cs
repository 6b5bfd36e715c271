using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using StreamDiffusion.LoadTest.Frames;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// One simulated browser on the web page's protocol (<c>/ws/stream</c>, documented in src/StreamHost/Web/README.md):
/// a JSON config, then one binary JPEG per frame slot on the same clock as a gRPC <see cref="StreamWorker"/>, and
/// JSON answers (each followed by its image). The server numbers frames 1, 2, 3… in arrival order and sends no
/// client timestamp back, so the worker keeps each frame's send time by that number. A WebSocket session that the
/// host ends with an error stops (it does not reconnect); its close status is counted under the matching gRPC
/// status name so both transports share one error table.
/// </summary>
public sealed class WebSocketWorker
{
    /// <summary>Transport name in reports.</summary>
    public const string TransportName = "websocket";

    private const int ReceiveChunk = 64 * 1024;
    private readonly int _index;
    private readonly Uri _web;
    private readonly FrameLibrary _frames;
    private readonly LoadTestOptions _options;
    private readonly LoadRecorder _recorder;
    private readonly long _slots;
    private readonly long[] _sentAt;
    private readonly bool[] _answered;
    private readonly long[] _slotOfArrival;
    private long _arrivals;
    private long _inFlight;
    private long _clock;

    /// <summary>Prepares the session against the host's web address <paramref name="web"/>; nothing is sent before <see cref="RunAsync"/>.</summary>
    public WebSocketWorker(int index, Uri web, FrameLibrary frames, LoadTestOptions options, LoadRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(web);
        ArgumentNullException.ThrowIfNull(options);
        _index = index;
        _web = web;
        _frames = frames;
        _options = options;
        _recorder = recorder;
        _slots = options.FrameSlots;
        _sentAt = new long[_slots];
        _answered = new bool[_slots];
        _slotOfArrival = new long[_slots];
    }

    /// <summary>The <c>ws://</c> (or <c>wss://</c>) address of the stream endpoint on a web address.</summary>
    public static Uri StreamEndpoint(Uri web)
    {
        ArgumentNullException.ThrowIfNull(web);
        var builder = new UriBuilder(web)
        {
            Scheme = web.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Path = "/ws/stream",
        };
        return builder.Uri;
    }

    /// <summary>Runs the session until every slot is sent and answered, the host ends it, or <paramref name="stop"/> fires.</summary>
    public async Task<StreamResult> RunAsync(CancellationToken stop)
    {
        var opened = Stopwatch.GetTimestamp();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var replica = _web.Authority;
        double? startedAfter = null;
        long sentHere = 0;
        Status status;
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                connect.CancelAfter(_options.StartTimeout);
                await socket.ConnectAsync(StreamEndpoint(_web), connect.Token).ConfigureAwait(false);
                if (socket.HttpResponseHeaders?.TryGetValue(StreamWorker.ReplicaHeader, out var names) == true && names.FirstOrDefault() is { } name)
                {
                    replica = name;
                }

                await socket.SendAsync(Encoding.UTF8.GetBytes(ConfigJson()), WebSocketMessageType.Text, true, connect.Token).ConfigureAwait(false);
                var first = await ReceiveJsonAsync(socket, new ArrayBufferWriter<byte>(), connect.Token).ConfigureAwait(false);
                if (first is null || first.Value.Type != "started")
                {
                    return Result(replica, CloseStatus(socket, first), startedAfter, sentHere);
                }
            }

            startedAfter = Stopwatch.GetElapsedTime(opened).TotalMilliseconds;
            _clock = Stopwatch.GetTimestamp();
            var recorder = _recorder.Replica(replica);
            foreach (var r in Recorders(recorder))
            {
                r.OnSessionStarted((long)(startedAfter.Value * 1000));
            }

            using var abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var receive = ReceiveFramesAsync(socket, recorder, stop);
            var send = SendAsync(socket, recorder, () => sentHere++, abort.Token);
            if (await Task.WhenAny(send, receive).ConfigureAwait(false) == receive)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }

            await send.ConfigureAwait(false);
            try
            {
                status = await receive.WaitAsync(_options.StartTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                socket.Abort();
                _ = await receive.ConfigureAwait(false);
                status = new Status(StatusCode.DeadlineExceeded, "answers did not arrive in time");
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            status = startedAfter is null && !stop.IsCancellationRequested
                ? new Status(StatusCode.Unavailable, "WebSocket: " + ex.Message)
                : new Status(StatusCode.Cancelled, "WebSocket: " + ex.Message);
        }

        return Result(replica, status, startedAfter, sentHere);
    }

    private StreamResult Result(string replica, Status status, double? startedAfter, long sentHere)
    {
        if (status.StatusCode != StatusCode.OK)
        {
            _recorder.OnError(status.StatusCode);
        }

        var answered = _answered.LongCount(a => a);
        var call = new CallRecord(startedAfter is null ? string.Empty : replica, status.StatusCode.ToString(), status.Detail, startedAfter, sentHere, answered,
            sentHere > 0 ? 0 : null);
        var lastDue = _clock == 0 ? 0 : Math.Min(_slots, SlotAt(NowMs) + 1);
        return new StreamResult(
            _index,
            _slots,
            sentHere,
            answered,
            SequenceRange.Where(_slots, i => _sentAt[i] != 0 && !_answered[i]),
            SequenceRange.Where(lastDue, i => _sentAt[i] == 0),
            [call],
            [],
            TransportName);
    }

    private ReplicaRecorder[] Recorders(ReplicaRecorder replica) => [replica, _recorder.All, _recorder.Transport(TransportName)];

    private double NowMs => _clock == 0 ? 0 : Stopwatch.GetElapsedTime(_clock).TotalMilliseconds;

    private long SlotAt(double ms) => (long)Math.Floor(ms * _options.Fps / 1000.0);

    private string ConfigJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "config");
            json.WriteString("model", _options.Model);
            json.WriteString("prompt", _options.Prompt);
            json.WriteNumber("width", _options.Size);
            json.WriteNumber("height", _options.Size);
            json.WriteString("output_encoding", "jpeg");
            json.WriteNumber("quality", _options.Quality);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task SendAsync(ClientWebSocket socket, ReplicaRecorder recorder, Action onSent, CancellationToken ct)
    {
        var slot = 0L;
        try
        {
            while (slot < _slots)
            {
                var wait = (slot * 1000.0 / _options.Fps) - NowMs;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), ct).ConfigureAwait(false);
                }

                // A live source does not send the past, nor more than MaxInFlight unanswered frames.
                if ((wait <= 0 && SlotAt(NowMs) > slot) || Interlocked.Read(ref _inFlight) >= _options.MaxInFlight)
                {
                    _recorder.OnUnsent(1);
                    slot++;
                    continue;
                }

                var arrival = Interlocked.Increment(ref _arrivals);
                _slotOfArrival[arrival - 1] = slot;
                Volatile.Write(ref _sentAt[slot], Stopwatch.GetTimestamp());
                Interlocked.Increment(ref _inFlight);
                await socket.SendAsync(_frames.Frame(_index, slot).Memory, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
                foreach (var r in Recorders(recorder))
                {
                    r.OnSent();
                }

                onSent();
                slot++;
            }

            // Like a gRPC half-close: the host answers what is queued, sends its final stats and closes with 1000.
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // Run over, or the host ended the session: the receive loop has the status.
        }
    }

    private async Task<Status> ReceiveFramesAsync(ClientWebSocket socket, ReplicaRecorder recorder, CancellationToken ct)
    {
        await Task.Yield();
        var buffer = new ArrayBufferWriter<byte>(ReceiveChunk);
        ServerMessage? last = null;
        try
        {
            while (await ReceiveJsonAsync(socket, buffer, ct).ConfigureAwait(false) is { } message)
            {
                last = message;
                if (message.Type != "frame")
                {
                    continue;
                }

                if (message.Bytes > 0 && await ReceiveAsync(socket, buffer, ct).ConfigureAwait(false) != WebSocketMessageType.Binary)
                {
                    return new Status(StatusCode.Internal, "WebSocket: a frame's image did not follow its answer");
                }

                OnAnswer(message, recorder);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            return new Status(StatusCode.Cancelled, "WebSocket: " + ex.Message);
        }

        return CloseStatus(socket, last);
    }

    private void OnAnswer(ServerMessage message, ReplicaRecorder recorder)
    {
        var arrival = message.Sequence;
        if (arrival < 1 || arrival > Interlocked.Read(ref _arrivals))
        {
            return;
        }

        var slot = _slotOfArrival[arrival - 1];
        _answered[slot] = true;
        Interlocked.Decrement(ref _inFlight);
        var latency = (long)Stopwatch.GetElapsedTime(Volatile.Read(ref _sentAt[slot])).TotalMicroseconds;
        foreach (var r in Recorders(recorder))
        {
            r.OnAnswer(message.Dropped, message.Failed, message.Skipped, latency);
        }
    }

    /// <summary>The session's end as a gRPC status: an <c>error</c> message names it; otherwise the close code does.</summary>
    private static Status CloseStatus(ClientWebSocket socket, ServerMessage? last)
    {
        if (last is { Type: "error" } error)
        {
            // The host names the code as gRPC does on the wire (RESOURCE_EXHAUSTED); the enum spells it ResourceExhausted.
            var code = Enum.TryParse<StatusCode>(error.Code.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var parsed)
                ? parsed
                : StatusCode.Unknown;
            return new Status(code, error.Message);
        }

        var reason = socket.CloseStatusDescription ?? string.Empty;
        return socket.CloseStatus switch
        {
            WebSocketCloseStatus.NormalClosure => Status.DefaultSuccess,
            WebSocketCloseStatus.EndpointUnavailable => new Status(StatusCode.Unavailable, reason),
            WebSocketCloseStatus.PolicyViolation => new Status(StatusCode.InvalidArgument, reason),
            WebSocketCloseStatus.MessageTooBig => new Status(StatusCode.InvalidArgument, reason),
            WebSocketCloseStatus.InternalServerError => new Status(StatusCode.Internal, reason),
            (WebSocketCloseStatus)1013 => new Status(StatusCode.ResourceExhausted, reason),
            null => new Status(StatusCode.Unavailable, "WebSocket: the connection ended without a close"),
            _ => new Status(StatusCode.Unknown, $"WebSocket close {(int)socket.CloseStatus}: {reason}"),
        };
    }

    /// <summary>The next JSON text message, or null when the server closed.</summary>
    private static async Task<ServerMessage?> ReceiveJsonAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            var type = await ReceiveAsync(socket, buffer, ct).ConfigureAwait(false);
            if (type == WebSocketMessageType.Close)
            {
                return null;
            }

            if (type == WebSocketMessageType.Text)
            {
                return ServerMessage.Parse(buffer.WrittenSpan);
            }

            // A binary message out of turn carries nothing to count.
        }
    }

    private static async Task<WebSocketMessageType> ReceiveAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, CancellationToken ct)
    {
        buffer.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(ReceiveChunk), ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return WebSocketMessageType.Close;
            }

            buffer.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return result.MessageType;
            }
        }
    }

    /// <summary>The fields of a server message the load test reads.</summary>
    private readonly record struct ServerMessage(string Type, long Sequence, long Bytes, bool Dropped, bool Skipped, bool Failed, string Code, string Message)
    {
        public static ServerMessage Parse(ReadOnlySpan<byte> utf8)
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            var root = document.RootElement;
            var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
            return new ServerMessage(
                Text(root, "type"),
                Number(root, "sequence"),
                Number(root, "bytes"),
                Flag(root, "dropped"),
                Flag(root, "skipped"),
                error.ValueKind == JsonValueKind.Object,
                root.TryGetProperty("code", out _) ? Text(root, "code") : error.ValueKind == JsonValueKind.Object ? Text(error, "code") : string.Empty,
                root.TryGetProperty("message", out _) ? Text(root, "message") : error.ValueKind == JsonValueKind.Object ? Text(error, "message") : string.Empty);
        }

        private static string Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;

        private static long Number(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

        private static bool Flag(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
    }
}
