using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// One Stream session after its config was accepted, over any transport (<see cref="ISessionTransport"/>): a reader task validates requests and queues frames in a
/// small DropOldest channel; the session loop processes the newest frames in order and writes the responses.
/// Every input frame gets exactly one OutputFrame, in input order (processed, skipped, dropped or failed).
/// </summary>
/// <remarks>
/// Memory is bounded by configuration: at most <see cref="CapacityOptions.MaxPendingAnswers"/> frames wait for
/// their answer (the reader stops reading at that many, so the transport's flow control holds the client back), and
/// of those only the queued frames and the one in work keep their payload. A response that cannot be sent for
/// <see cref="CapacityOptions.ClientReadTimeout"/> ends the session with RESOURCE_EXHAUSTED "client not reading".
/// </remarks>
internal sealed partial class StreamSession
{
    private readonly ISessionTransport _transport;
    private readonly ISessionInput _requests;
    private readonly ISessionOutput _responses;
    private readonly IStreamProcessor _processor;
    private readonly SessionLease _lease;
    private readonly HostMetrics _metrics;
    private readonly LimitsOptions _limits;
    private readonly CapacityOptions _capacity;
    private readonly ILogger _logger;
    private readonly LiveSession? _live;
    private readonly Channel<QueuedFrame> _input;
    private readonly CancellationTokenSource _cts;

    // Null when neither the host nor the session caps the input frame rate.
    private readonly FrameRateLimiter? _fpsCap;

    // One slot per frame read and not yet answered; the reader waits for a free one.
    private readonly SemaphoreSlim _answerSlots;

    // Guards channel writes and (drop drain + read) together, so dropped frames are reported in input order.
    private readonly object _gate = new();
    private readonly List<QueuedFrame> _pendingDrops = [];
    private readonly List<QueuedFrame> _dropScratch = [];

    // One response object reused for every frame: WriteAsync serializes it before completing.
    private readonly StreamResponse _frameResponse = new();
    private readonly OutputFrame _outFrame = new();
    private readonly FrameTimings _timings = new();

    private readonly SessionStatistics _stats = new();
    private SessionSettings _settings;
    private SessionSettings _applied;
    private Exception? _failure;
    private int _consecutiveBad;

    private bool _loggedProcessingError;

    // The status the write watchdog ended the session with, if it did.
    private RpcException? _clientNotReading;

    // Stopwatch timestamp at which the response write in progress started; 0 while none is.
    private long _writeStarted;

    public StreamSession(
        ISessionTransport transport,
        SessionSettings settings,
        IStreamProcessor processor,
        SessionLease lease,
        HostMetrics metrics,
        LimitsOptions limits,
        CapacityOptions capacity,
        ILogger logger,
        LiveSession? live = null,
        FrameRateLimiter? fpsCap = null)
    {
        _fpsCap = fpsCap;
        _transport = transport;
        _requests = transport.Input;
        _responses = transport.Output;
        _settings = settings;
        _applied = settings;
        _processor = processor;
        _lease = lease;
        _metrics = metrics;
        _limits = limits;
        _capacity = capacity;
        _logger = logger;
        _live = live;
        _input = Channel.CreateBounded<QueuedFrame>(
            new BoundedChannelOptions(Math.Max(1, capacity.InputQueueCapacity))
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = true,
            },
            OnDropped);
        _cts = CancellationTokenSource.CreateLinkedTokenSource(transport.ClientGone, lease.ShutdownToken);
        _answerSlots = new SemaphoreSlim(capacity.MaxPendingAnswers, capacity.MaxPendingAnswers);
        _frameResponse.Frame = _outFrame;
        _outFrame.Timings = _timings;
    }

    /// <summary>Runs the session to its end; the status for the transport to deliver.</summary>
    public async Task<SessionStatus> RunAsync()
    {
        var s = _settings;
        LogStarted(_lease.Id, _transport.Identity.Transport, _transport.Identity.Peer, s.Model, s.Mode, s.Width, s.Height, s.CfgType, string.Join(',', s.TIndexList));
        var outcome = "error";
        var watchdogTimer = new PeriodicTimer(WatchdogPeriod(_capacity.ClientReadTimeout));
        var watchdog = WatchWritesAsync(watchdogTimer);
        try
        {
            try
            {
                var started = new SessionStarted
                {
                    SessionId = _lease.Id,
                    Model = s.Model,
                    Width = s.Width,
                    Height = s.Height,
                    CfgType = s.CfgType,
                    OutputEncoding = s.OutputEncoding,
                };
                started.TIndexList.Add(s.TIndexList);
                await WriteAsync(new StreamResponse { Started = started }, _cts.Token).ConfigureAwait(false);

                var loop = ProcessLoopAsync(_cts.Token);
                await ReadLoopAsync(_cts.Token).ConfigureAwait(false);
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex) when (IsOwnCancellation(ex, _cts.Token))
            {
                // Only the SessionStarted write can get here: the loops catch their own cancellations.
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
            finally
            {
                watchdogTimer.Dispose();
                await watchdog.ConfigureAwait(false);
            }

            var (result, status) = Conclude();
            outcome = result;
            return status;
        }
        finally
        {
            _cts.Dispose();
            _answerSlots.Dispose();
            LogEnded(_lease.Id, outcome, _stats.UptimeSeconds, _stats.FramesIn, _stats.FramesOut, _stats.FramesSkipped,
                _stats.FramesDropped, _stats.FramesFailed, _stats.MeanLatencyMs);
        }
    }

    private static TimeSpan WatchdogPeriod(TimeSpan timeout) =>
        TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));

    /// <summary>The session's outcome for the log, and the status to end it with.</summary>
    private (string Outcome, SessionStatus Status) Conclude()
    {
        var failure = Volatile.Read(ref _failure);
        if (failure is RpcException rpc)
        {
            if (ReferenceEquals(rpc, _clientNotReading))
            {
                LogClientNotReading(_lease.Id, _capacity.ClientReadTimeout.TotalSeconds);
                return ("client not reading", SessionStatus.From(rpc));
            }

            return (rpc.StatusCode.ToString(), SessionStatus.From(rpc));
        }

        if (_lease.ShutdownToken.IsCancellationRequested)
        {
            // Whatever the loops tripped over while being cancelled, the cause is the shutdown, and the client
            // must learn it, so it can reconnect elsewhere.
            return ("shutdown", new SessionStatus(StatusCode.Unavailable, "host is shutting down; reconnect to another replica"));
        }

        if (failure is not null && !ClientWentAway(failure))
        {
            LogSessionFailed(_lease.Id, failure);
            return ("error", new SessionStatus(StatusCode.Internal, "session failed: " + failure.Message));
        }

        // A client that cancels or resets its call is ordinary: nobody is left to tell.
        return failure is not null || _transport.ClientGone.IsCancellationRequested
            ? ("cancelled by client", SessionStatus.Gone)
            : ("completed", SessionStatus.Ok);
    }

    // A reset stream surfaces as an IOException from the reader (or a refused write) a moment before the
    // transport's client-gone token fires; either way the client is gone.
    private bool ClientWentAway(Exception failure) =>
        _transport.ClientGone.IsCancellationRequested || failure is IOException or OperationCanceledException;

    /// <summary>Ends the session when one response write has waited longer than the client read timeout.</summary>
    private async Task WatchWritesAsync(PeriodicTimer timer)
    {
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var started = Volatile.Read(ref _writeStarted);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > _capacity.ClientReadTimeout)
            {
                var status = new RpcException(new Status(StatusCode.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                    $"client not reading: a response could not be sent for {_capacity.ClientReadTimeout.TotalSeconds:0.#} s; read the responses as they come")));
                if (Interlocked.CompareExchange(ref _failure, status, null) is null)
                {
                    _clientNotReading = status;
                }

                // The status cannot get past the unsent data, so the transport ends the stalled write its own way (gRPC
                // resets the stream with ENHANCE_YOUR_CALM, which clients report as RESOURCE_EXHAUSTED); that also
                // frees what the transport still holds.
                _transport.AbortStalledWriter();
                Fail(status);
                return;
            }
        }
    }

    private async Task WriteAsync(StreamResponse response, CancellationToken ct)
    {
        // Checked here, not only inside the write: a transport may finish a write its token cancels (gRPC does, so a
        // drain deadline reaches the client as UNAVAILABLE trailers rather than a reset stream), and the session must
        // still stop before the next one. A write that never completes is the stalled reader the watchdog ends.
        ct.ThrowIfCancellationRequested();
        Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
        try
        {
            await _responses.WriteAsync(response, ct).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _writeStarted, 0);
        }
    }

    private void Fail(Exception exception)
    {
        Interlocked.CompareExchange(ref _failure, exception, null);
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Session already over.
        }
    }

    private bool IsOwnCancellation(Exception ex, CancellationToken ct) =>
        ct.IsCancellationRequested && (ex is OperationCanceledException || _transport.ClientGone.IsCancellationRequested);

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await _requests.ReadAsync(ct).ConfigureAwait(false) is { } request)
            {
                await HandleAsync(request, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsOwnCancellation(ex, ct))
        {
            // Client gone, shutdown deadline, or the loop failed first.
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            lock (_gate)
            {
                _input.Writer.TryComplete();
            }
        }
    }

    private async ValueTask HandleAsync(StreamRequest request, CancellationToken ct)
    {
        switch (request.PayloadCase)
        {
            case StreamRequest.PayloadOneofCase.Frame:
                await HandleFrameAsync(request.Frame, ct).ConfigureAwait(false);
                break;
            case StreamRequest.PayloadOneofCase.Control:
                _settings = SessionSettingsValidator.ApplyControl(_settings, request.Control);
                break;
            case StreamRequest.PayloadOneofCase.Config:
                throw SessionSettingsValidator.Invalid("config", "only the first StreamRequest may carry a SessionConfig; use control to change parameters");
            default:
                throw SessionSettingsValidator.Invalid("payload", "empty StreamRequest");
        }
    }

    private async ValueTask HandleFrameAsync(InputFrame frame, CancellationToken ct)
    {
        _stats.CountIn();
        _metrics.FramesIn.Inc();
        var error = FrameValidator.Validate(frame, _settings.Mode, _limits);
        if (error is not null)
        {
            // Reset only by a frame that is processed: one that passes these checks may still fail to decode.
            CountBadFrame(error);
        }

        // At the limit of unanswered frames, stop reading: the client is held back by the transport's flow control.
        await _answerSlots.WaitAsync(ct).ConfigureAwait(false);

        // Decided on arrival, answered in order by the loop; the payload is not kept.
        var overCap = error is null && _fpsCap is not null && !_fpsCap.TryAdmit();
        var item = new QueuedFrame(frame, _settings, Stopwatch.GetTimestamp(), error, overCap);
        if (overCap)
        {
            item.ReleasePayload();
        }

        lock (_gate)
        {
            _metrics.QueueDepth.Inc();
            _input.Writer.TryWrite(item);
        }
    }

    private void CountBadFrame(string error)
    {
        var bad = Interlocked.Increment(ref _consecutiveBad);
        if (bad >= _limits.MaxConsecutiveBadFrames)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"{bad} invalid frames in a row, ending the stream; last: {error}"));
        }
    }

    // Runs inside TryWrite, under _gate.
    private void OnDropped(QueuedFrame item)
    {
        _metrics.QueueDepth.Dec();
        item.ReleasePayload();
        _pendingDrops.Add(item);
    }

    private async Task ProcessLoopAsync(CancellationToken ct)
    {
        try
        {
            var reader = _input.Reader;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (true)
                {
                    QueuedFrame? item;
                    lock (_gate)
                    {
                        // Drops still pending are older than anything left in the queue.
                        _dropScratch.AddRange(_pendingDrops);
                        _pendingDrops.Clear();
                        if (reader.TryRead(out item))
                        {
                            _metrics.QueueDepth.Dec();
                        }
                    }

                    foreach (var dropped in _dropScratch)
                    {
                        await WriteUnprocessedAsync(dropped, ct).ConfigureAwait(false);
                        _answerSlots.Release();
                    }

                    _dropScratch.Clear();
                    if (item is null)
                    {
                        break;
                    }

                    await ProcessOneAsync(item, ct).ConfigureAwait(false);
                    _answerSlots.Release();
                    if (_stats.IntervalElapsed(_capacity.StatsInterval))
                    {
                        await WriteStatsAsync(final: false, ct).ConfigureAwait(false);
                    }
                }
            }

            await WriteStatsAsync(final: true, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsOwnCancellation(ex, ct))
        {
            // Cancelled from outside or by the reader's failure.
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            // Frames left in the queue are abandoned with the session.
            lock (_gate)
            {
                while (_input.Reader.TryRead(out _))
                {
                    _metrics.QueueDepth.Dec();
                }
            }
        }
    }

    private async Task ProcessOneAsync(QueuedFrame item, CancellationToken ct)
    {
        if (item.OverFpsCap)
        {
            await WriteUnprocessedAsync(item, ct).ConfigureAwait(false);
            return;
        }

        var queueMs = Stopwatch.GetElapsedTime(item.ReceivedTimestamp).TotalMilliseconds;
        _metrics.QueueStage.Observe(queueMs / 1000);
        if (item.Error is not null)
        {
            await WriteFailedAsync(item, StatusCode.InvalidArgument, item.Error, queueMs, ct).ConfigureAwait(false);
            return;
        }

        if (!ReferenceEquals(item.Settings, _applied))
        {
            await _processor.UpdateAsync(item.Settings, ct).ConfigureAwait(false);
            _applied = item.Settings;
        }

        var frame = item.Frame ?? throw new InvalidOperationException("a queued frame has no payload");
        var format = frame.Format;
        var raw = format is FrameFormat.Rgb24 or FrameFormat.Bgr24;
        var input = new FrameInput(frame.Data.Memory, format, frame.Width, frame.Height,
            raw ? FrameValidator.EffectiveStride(frame) : 0, frame.Sequence);
        ProcessedFrame result;
        try
        {
            result = await _processor.ProcessAsync(input, ct).ConfigureAwait(false);
        }
        catch (FrameRejectedException ex)
        {
            await WriteFailedAsync(item, StatusCode.InvalidArgument, ex.Message, queueMs, ct).ConfigureAwait(false);
            CountBadFrame(ex.Message);
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (!_loggedProcessingError)
            {
                // Once per run of failed frames: a broken model would otherwise log every frame. The session goes on:
                // a transient fault must not cost the client its slot, and the per-frame error tells it what happened.
                _loggedProcessingError = true;
                LogProcessingFailed(_lease.Id, item.Sequence, ex);
            }

            var (code, message) = ProcessingFailure.Describe(ex, _lease.Id);
            await WriteFailedAsync(item, code, message, queueMs, ct).ConfigureAwait(false);
            return;
        }

        // Only a frame that really went through ends a run of bad ones (and of failed ones).
        Interlocked.Exchange(ref _consecutiveBad, 0);
        _loggedProcessingError = false;

        _outFrame.Data = UnsafeByteOperations.UnsafeWrap(result.Data);
        _outFrame.Format = result.Format;
        _outFrame.Width = result.Width;
        _outFrame.Height = result.Height;
        _outFrame.Skipped = result.Skipped;
        _outFrame.Dropped = false;
        _outFrame.Error = null;
        var totalMs = Stopwatch.GetElapsedTime(item.ReceivedTimestamp).TotalMilliseconds;
        SetHeader(item, queueMs, result.DecodeMs, result.DenoiseMs, result.EncodeMs, totalMs);
        await WriteAsync(_frameResponse, ct).ConfigureAwait(false);

        // MJPEG viewers get a copy of the output while the processor's buffer is still valid.
        _live?.Publish(result);

        _stats.CountOut(totalMs, result.Skipped);
        _metrics.FramesOut.Inc();
        _metrics.FrameLatency.Observe(totalMs / 1000);
        _metrics.DecodeStage.Observe(result.DecodeMs / 1000);
        _metrics.DenoiseStage.Observe(result.DenoiseMs / 1000);
        _metrics.EncodeStage.Observe(result.EncodeMs / 1000);
        if (result.Skipped)
        {
            _metrics.FramesSkipped.Inc();
        }
    }

    private Task WriteUnprocessedAsync(QueuedFrame item, CancellationToken ct)
    {
        var queueMs = Stopwatch.GetElapsedTime(item.ReceivedTimestamp).TotalMilliseconds;
        if (item.Error is not null)
        {
            // An invalid frame keeps its error even when it was pushed out of the queue.
            return WriteFailedAsync(item, StatusCode.InvalidArgument, item.Error, queueMs, ct);
        }

        _stats.CountDropped(item.OverFpsCap);
        _metrics.FramesDropped.Inc();
        (item.OverFpsCap ? _metrics.DroppedFpsCap : _metrics.DroppedQueue).Inc();
        ClearImage();
        _outFrame.Dropped = true;
        _outFrame.Error = null;
        SetHeader(item, queueMs, 0, 0, 0, queueMs);
        return WriteAsync(_frameResponse, ct);
    }

    private Task WriteFailedAsync(QueuedFrame item, StatusCode code, string message, double queueMs, CancellationToken ct)
    {
        _stats.CountFailed();
        _metrics.FramesFailed.Inc();
        ClearImage();
        _outFrame.Dropped = false;
        _outFrame.Error = new FrameError { Code = (int)code, Message = message };
        SetHeader(item, queueMs, 0, 0, 0, Stopwatch.GetElapsedTime(item.ReceivedTimestamp).TotalMilliseconds);
        return WriteAsync(_frameResponse, ct);
    }

    private void ClearImage()
    {
        _outFrame.Data = ByteString.Empty;
        _outFrame.Format = FrameFormat.Unspecified;
        _outFrame.Width = 0;
        _outFrame.Height = 0;
        _outFrame.Skipped = false;
    }

    private void SetHeader(QueuedFrame item, double queueMs, double decodeMs, double denoiseMs, double encodeMs, double totalMs)
    {
        _outFrame.Sequence = item.Sequence;
        _outFrame.ClientTimestampUs = item.ClientTimestampUs;
        _timings.QueueMs = (float)queueMs;
        _timings.DecodeMs = (float)decodeMs;
        _timings.DenoiseMs = (float)denoiseMs;
        _timings.EncodeMs = (float)encodeMs;
        _timings.TotalMs = (float)totalMs;
    }

    private async Task WriteStatsAsync(bool final, CancellationToken ct)
    {
        var (stats, dropped, seconds) = _stats.TakeInterval(_lease.Id, final);
        if (dropped > 0)
        {
            LogDrops(_lease.Id, dropped, seconds);
        }

        await WriteAsync(new StreamResponse { Stats = stats }, ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Session {SessionId} started over {Transport} from {Peer}: model {Model}, {Mode} {Width}x{Height}, cfg {CfgType}, t_index [{TIndex}]")]
    private partial void LogStarted(string sessionId, string transport, string peer, string model, GenerationMode mode, int width, int height, CfgType cfgType, string tIndex);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Session {SessionId} ended ({Outcome}) after {Seconds:F1}s: frames in {FramesIn}, out {FramesOut}, skipped {FramesSkipped}, dropped {FramesDropped}, failed {FramesFailed}, mean latency {MeanLatencyMs:F1} ms")]
    private partial void LogEnded(string sessionId, string outcome, double seconds, long framesIn, long framesOut, long framesSkipped, long framesDropped, long framesFailed, double meanLatencyMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Session {SessionId} dropped {Dropped} frames in the last {Seconds:F1}s: the client sends faster than the host processes")]
    private partial void LogDrops(string sessionId, long dropped, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId}: frame {Sequence} failed in the processor (the frame is answered with an error; further failures are not logged until a frame succeeds)")]
    private partial void LogProcessingFailed(string sessionId, ulong sequence, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Session {SessionId} ended: the client did not read its responses for {Seconds:0.#} s (RESOURCE_EXHAUSTED, client not reading)")]
    private partial void LogClientNotReading(string sessionId, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId} failed")]
    private partial void LogSessionFailed(string sessionId, Exception exception);
}
