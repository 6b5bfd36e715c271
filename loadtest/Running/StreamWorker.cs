using System.Diagnostics;
using Grpc.Core;
using StreamDiffusion.LoadTest.Frames;
using StreamDiffusion.Protos.V1;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// One simulated live camera: a frame slot every 1/fps seconds, each sent as an <c>InputFrame</c> whose sequence
/// is the slot number. Like a camera it never catches up: a slot that is already past when the stream can send
/// (reconnecting, or too many frames unanswered) is counted as unsent. When a host ends the call with an error
/// and <see cref="LoadTestOptions.Reconnect"/> is on, the stream opens a new call (the channel picks the replica)
/// and goes on from the current slot, so the report can say exactly which frames were lost and for how long.
/// </summary>
public sealed class StreamWorker
{
    /// <summary>Response header naming the replica that serves a call.</summary>
    public const string ReplicaHeader = "streamdiffusion-replica";

    /// <summary>Transport name in reports.</summary>
    public const string TransportName = "grpc";

    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);
    private readonly int _index;
    private readonly Client _client;
    private readonly FrameLibrary _frames;
    private readonly LoadTestOptions _options;
    private readonly LoadRecorder _recorder;
    private readonly string _fallbackReplica;
    private readonly long _slots;
    private readonly bool[] _sent;
    private readonly bool[] _answered;
    private readonly List<CallRecord> _calls = [];
    private readonly List<double> _reconnects = [];
    private long _clock;
    private long _inFlight;

    /// <summary>Prepares the stream; nothing is sent before <see cref="RunAsync"/>.</summary>
    public StreamWorker(int index, Client client, FrameLibrary frames, LoadTestOptions options, LoadRecorder recorder, string fallbackReplica)
    {
        ArgumentNullException.ThrowIfNull(options);
        _index = index;
        _client = client;
        _frames = frames;
        _options = options;
        _recorder = recorder;
        _fallbackReplica = fallbackReplica;
        _slots = options.FrameSlots;
        _sent = new bool[_slots];
        _answered = new bool[_slots];
    }

    /// <summary>Runs the stream until its last slot is sent and answered, or <paramref name="stop"/> fires.</summary>
    public async Task<StreamResult> RunAsync(CancellationToken stop)
    {
        long next = 0;
        var backoff = s_firstBackoff;
        double? failedAt = null;
        while (next < _slots && !stop.IsCancellationRequested)
        {
            var (status, nextSlot, started) = await RunCallAsync(next, failedAt, stop).ConfigureAwait(false);
            next = nextSlot;
            if (status.StatusCode == StatusCode.OK || stop.IsCancellationRequested)
            {
                break;
            }

            _recorder.OnError(status.StatusCode);
            if (!_options.Reconnect || status.StatusCode is not (StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.Cancelled or StatusCode.Internal))
            {
                break;
            }

            if (started)
            {
                failedAt = NowMs;
                backoff = s_firstBackoff;
                continue;
            }

            if (_clock != 0)
            {
                failedAt ??= NowMs;
            }

            // The channel already retried with backoff; wait a little more before asking again.
            try
            {
                await Task.Delay(backoff, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
        }

        var lastDue = Math.Min(_slots, SlotAt(NowMs) + 1);
        return new StreamResult(
            _index,
            _slots,
            _sent.LongCount(s => s),
            _answered.LongCount(a => a),
            SequenceRange.Where(_slots, i => _sent[i] && !_answered[i]),
            SequenceRange.Where(Math.Min(_slots, lastDue), i => !_sent[i]),
            _calls,
            _reconnects);
    }

    /// <summary>Milliseconds since the stream's first SessionStarted (0 before it).</summary>
    private double NowMs => _clock == 0 ? 0 : Stopwatch.GetElapsedTime(_clock).TotalMilliseconds;

    private long SlotAt(double ms) => (long)Math.Floor(ms * _options.Fps / 1000.0);

    private async Task<(Status Status, long NextSlot, bool Started)> RunCallAsync(long firstSlot, double? failedAt, CancellationToken stop)
    {
        var opened = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _inFlight, 0);
        using var callCts = new CancellationTokenSource();
        using var call = _client.Stream(cancellationToken: callCts.Token);
        var replica = _fallbackReplica;
        double? startedAfter = null;
        long sentHere = 0;
        long answeredHere = 0;
        long? firstSequence = null;
        var next = firstSlot;
        try
        {
            callCts.CancelAfter(_options.StartTimeout);
            try
            {
                await call.RequestStream.WriteAsync(new StreamRequest { Config = Config() }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
                // Already refused: the status comes from the response stream.
            }

            var headers = await call.ResponseHeadersAsync.ConfigureAwait(false);
            replica = headers.GetValue(ReplicaHeader) ?? _fallbackReplica;
            if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false)
                || call.ResponseStream.Current.PayloadCase != StreamResponse.PayloadOneofCase.Started)
            {
                var status = call.GetStatus();
                return (status.StatusCode == StatusCode.OK ? new Status(StatusCode.Internal, "no SessionStarted") : status, next, false);
            }

            callCts.CancelAfter(Timeout.InfiniteTimeSpan);
            startedAfter = Stopwatch.GetElapsedTime(opened).TotalMilliseconds;

            // The camera starts with the first session; after a reconnect it has kept running (the gap is unsent).
            if (_clock == 0)
            {
                _clock = Stopwatch.GetTimestamp();
            }

            var recorder = _recorder.Replica(replica);
            recorder.OnSessionStarted((long)(startedAfter.Value * 1000));
            _recorder.All.OnSessionStarted((long)(startedAfter.Value * 1000));
            _recorder.Transport(TransportName).OnSessionStarted((long)(startedAfter.Value * 1000));
            if (failedAt is { } failed)
            {
                _reconnects.Add(NowMs - failed);
            }

            var receive = ReceiveAsync(call, recorder, () => answeredHere++);
            using var abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var send = SendAsync(call, recorder, firstSlot, s =>
            {
                firstSequence ??= s;
                sentHere++;
                next = s + 1;
            }, n => next = n, abort.Token);
            if (await Task.WhenAny(send, receive).ConfigureAwait(false) == receive)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }

            await send.ConfigureAwait(false);
            try
            {
                await receive.WaitAsync(_options.StartTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await callCts.CancelAsync().ConfigureAwait(false);
                await receive.ConfigureAwait(false);
                return (new Status(StatusCode.DeadlineExceeded, "answers did not arrive in time"), next, true);
            }

            return (call.GetStatus(), Math.Max(next, SlotAt(NowMs) + 1), true);
        }
        catch (RpcException ex)
        {
            var status = ex.StatusCode == StatusCode.Cancelled && callCts.IsCancellationRequested && startedAfter is null
                ? new Status(StatusCode.DeadlineExceeded, "no SessionStarted in time")
                : ex.Status;
            return (status, Math.Max(next, SlotAt(NowMs)), startedAfter is not null);
        }
        finally
        {
            var final = FinalStatus(call);
            _calls.Add(new CallRecord(startedAfter is null ? string.Empty : replica, final.StatusCode.ToString(), final.Detail, startedAfter, sentHere, answeredHere, firstSequence));
        }
    }

    private static Status FinalStatus(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call)
    {
        try
        {
            return call.GetStatus();
        }
        catch (InvalidOperationException)
        {
            return new Status(StatusCode.Cancelled, "the call was still running when it was abandoned");
        }
    }

    private SessionConfig Config() => new()
    {
        Model = _options.Model,
        Mode = GenerationMode.Img2Img,
        Width = _options.Size,
        Height = _options.Size,
        Prompt = _options.Prompt,
        OutputEncoding = OutputEncoding.Jpeg,
        Quality = _options.Quality,
    };

    private async Task SendAsync(
        AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call,
        ReplicaRecorder recorder,
        long firstSlot,
        Action<long> onSent,
        Action<long> onSkippedTo,
        CancellationToken ct)
    {
        // One request object for every frame: WriteAsync serializes it before it completes.
        var input = new InputFrame { Format = FrameFormat.Jpeg, Width = _frames.Size, Height = _frames.Size };
        var request = new StreamRequest { Frame = input };
        var slot = firstSlot;
        try
        {
            while (slot < _slots)
            {
                var dueMs = slot * 1000.0 / _options.Fps;
                var wait = dueMs - NowMs;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), ct).ConfigureAwait(false);
                }
                else if (SlotAt(NowMs) > slot)
                {
                    // A live source does not send the past.
                    MarkUnsent(slot);
                    slot++;
                    onSkippedTo(slot);
                    continue;
                }

                if (Interlocked.Read(ref _inFlight) >= _options.MaxInFlight)
                {
                    MarkUnsent(slot);
                    slot++;
                    onSkippedTo(slot);
                    continue;
                }

                input.Data = _frames.Frame(_index, slot);
                input.Sequence = (ulong)slot;
                input.ClientTimestampUs = (long)(NowMs * 1000);
                Interlocked.Increment(ref _inFlight);

                // A frame whose write fails never reached the host: it stays unsent, not lost.
                await call.RequestStream.WriteAsync(request, CancellationToken.None).ConfigureAwait(false);
                _sent[slot] = true;
                recorder.OnSent();
                _recorder.All.OnSent();
                _recorder.Transport(TransportName).OnSent();
                onSent(slot);
                slot++;
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Run over, or the host ended the call: the receive loop has the status.
            try
            {
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or RpcException or IOException)
            {
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or RpcException or IOException)
        {
            // The call is over; the receive loop has its status.
        }
    }

    private void MarkUnsent(long slot)
    {
        _recorder.OnUnsent(1);
    }

    private async Task ReceiveAsync(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call, ReplicaRecorder recorder, Action onAnswered)
    {
        await Task.Yield();
        while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.PayloadCase != StreamResponse.PayloadOneofCase.Frame)
            {
                continue;
            }

            var frame = response.Frame;
            var latency = (long)(NowMs * 1000) - frame.ClientTimestampUs;
            if (frame.Sequence < (ulong)_slots)
            {
                _answered[frame.Sequence] = true;
            }

            Interlocked.Decrement(ref _inFlight);
            var failed = frame.Error is not null;
            recorder.OnAnswer(frame.Dropped, failed, frame.Skipped, latency);
            _recorder.All.OnAnswer(frame.Dropped, failed, frame.Skipped, latency);
            _recorder.Transport(TransportName).OnAnswer(frame.Dropped, failed, frame.Skipped, latency);
            onAnswered();
        }
    }
}
