using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// One live broadcast: an ingest source (an SRT connection, or the remuxer behind an RTMP push) feeding an ffmpeg decoder (MPEG-TS → raw RGB24 at the session's
/// size), the session core every transport runs through (<see cref="StreamSessionRunner"/>, over a
/// <see cref="BroadcastSessionTransport"/>), and an ffmpeg encoder (RGB24 → H.264 zerolatency in MPEG-TS) whose output
/// goes to the SRT players of the key. Both child processes live and die with the session.
/// </summary>
internal sealed partial class BroadcastSession
{
    private const int ControlQueueCapacity = 16;
    private const int CpuSampleInterval = 30;
    private static readonly TimeSpan s_decoderExitWait = TimeSpan.FromSeconds(2);

    private readonly SessionConfig _config;
    private readonly IIngestSource _ingest;
    private readonly BroadcastOptions _options;
    private readonly BroadcastMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<ControlUpdate> _controls = Channel.CreateBounded<ControlUpdate>(
        new BoundedChannelOptions(ControlQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly TaskCompletionSource<(FfmpegProcess Decoder, RawFramePool Pool, int Width, int Height)> _decoderReady =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly List<SrtConnection> _viewers = [];
    private ClientLifetime? _client;
    private FfmpegProcess? _decoder;
    private FfmpegProcess? _encoder;
    private HlsSegmenter? _hls;
    private RawFramePool? _pool;
    private Thread? _pump;
    private Task? _outputPump;
    private int _width;
    private int _height;
    private string? _endReason;
    private int _ended;
    private long _framesIn;
    private long _framesOut;
    private long _framesDropped;
    private long _encodedFrames;
    private TimeSpan _decoderCpu;
    private TimeSpan _encoderCpu;
    private bool _loggedFormat;

    public BroadcastSession(string key, SessionConfig config, IIngestSource ingest, BroadcastOptions options, BroadcastMetrics metrics, ILogger logger)
    {
        Key = key;
        _config = config;
        _ingest = ingest;
        _options = options;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The stream key.</summary>
    public string Key { get; }

    /// <summary>The broadcaster's address.</summary>
    public string Peer => _ingest.Peer;

    /// <summary>"srt" or "rtmp".</summary>
    public string Transport => _ingest.Transport;

    /// <summary>The session id once started (as listed at /sessions).</summary>
    public string? SessionId { get; private set; }

    /// <summary>Process id of the ingest's own child (the RTMP remuxer), if it has one.</summary>
    public int? IngestPid => _ingest.ProcessId;

    /// <summary>Process id of the ingest decoder, once started.</summary>
    public int? DecoderPid { get; private set; }

    /// <summary>Process id of the output encoder, once started.</summary>
    public int? EncoderPid { get; private set; }

    /// <summary>Process id of the HLS segmenter, once started (null with HLS off).</summary>
    public int? HlsPid { get; private set; }

    /// <summary>The folder of the HLS playlist and segments while the session runs; null when there is none.</summary>
    public string? HlsFolder => Volatile.Read(ref _ended) == 0 && _hls is { Stopped: false } hls ? hls.Folder : null;

    /// <summary>How the session ended (null while it runs).</summary>
    public string? Outcome { get; private set; }

    /// <summary>The running session, set by the server when it starts it.</summary>
    public Task? Completion { get; set; }

    public long FramesIn => Interlocked.Read(ref _framesIn);

    public long FramesOut => Interlocked.Read(ref _framesOut);

    public long FramesDropped => Interlocked.Read(ref _framesDropped);

    public int Viewers
    {
        get
        {
            lock (_viewers)
            {
                return _viewers.Count;
            }
        }
    }

    /// <summary>Queues a live parameter change; false if too many are waiting already.</summary>
    public bool TryControl(ControlUpdate update) => _controls.Writer.TryWrite(update);

    /// <summary>Ends the session as if the broadcaster had disconnected.</summary>
    public void Stop(string reason)
    {
        _endReason ??= reason;
        _client?.Abort();
        _ingest.Dispose();
    }

    /// <summary>Adds a player of the output; false when the broadcast has as many as it allows.</summary>
    public bool AddViewer(SrtConnection viewer)
    {
        lock (_viewers)
        {
            if (Volatile.Read(ref _ended) != 0 || _viewers.Count >= _options.MaxViewersPerBroadcast)
            {
                return false;
            }

            _viewers.Add(viewer);
            return true;
        }
    }

    /// <summary>Runs the broadcast until the broadcaster leaves, the stream fails, or <paramref name="stopping"/>.</summary>
    public async Task RunAsync(IServiceProvider services, CancellationToken stopping)
    {
        _client = new ClientLifetime(stopping);
        var config = _config.Clone();
        config.OutputEncoding = OutputEncoding.Raw;
        var transport = new BroadcastSessionTransport(this, new BroadcastRequestReader(this, config, _controls.Reader),
            new BroadcastResponseWriter(this), _client);
        var runner = services.GetRequiredService<StreamSessionRunner>();
        _metrics.Active.Inc();
        LogStarted(Key, Peer);
        try
        {
            // The outcome is set by the transport's CompleteAsync.
            await runner.RunAsync(transport).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Outcome = _endReason ?? (stopping.IsCancellationRequested ? "host stopping" : "cancelled");
        }
        catch (Exception ex)
        {
            Outcome = "failed: " + ex.Message;
            LogFailed(Key, ex);
        }
        finally
        {
            await CleanupAsync().ConfigureAwait(false);
            _metrics.Active.Dec();
        }

        LogEnded(Key, SessionId ?? "-", Outcome ?? "ended", FramesIn, FramesOut, FramesDropped);
    }

    /// <summary>The session's final status, delivered by its transport: the key's outcome.</summary>
    internal void Complete(SessionStatus status) =>
        Outcome = status.IsError ? $"{Web.WebSocketResponseWriter.CodeName(status.Code)}: {status.Detail}" : _endReason ?? "ended";

    /// <summary>The output encoder stopped reading (the session's write to it stalled): kill it, so the write fails.</summary>
    internal void AbortOutput() => _encoder?.Kill();

    /// <summary>The session was admitted: start the codecs at its size and the pumps around them.</summary>
    internal void OnStarted(SessionStarted started)
    {
        SessionId = started.SessionId;
        _width = started.Width;
        _height = started.Height;
        _pool = new RawFramePool(_width * _height * 3);
        var size = string.Create(CultureInfo.InvariantCulture, $"{_width}x{_height}");
        _decoder = FfmpegProcess.Start(_options.FfmpegPath, FfmpegArguments.Decoder(_width, _height));
        DecoderPid = _decoder.Id;
        _encoder = FfmpegProcess.Start(_options.FfmpegPath, FfmpegArguments.Encoder(size, _options.OutputKeyframeInterval));
        if (_options.HlsEnabled)
        {
            _hls = HlsSegmenter.Start(_options.FfmpegPath, Path.Combine(_options.HlsRoot, started.SessionId), _options.HlsSegmentDuration, _options.HlsListSize);
            HlsPid = _hls.ProcessId;
        }

        // Set last: a known encoder means the session's outputs are all in place.
        EncoderPid = _encoder.Id;

        _pump = new Thread(PumpIngest) { IsBackground = true, Name = "broadcast-ingest " + Key };
        _pump.Start();
        _outputPump = Task.Run(PumpOutputAsync);
        _decoderReady.TrySetResult((_decoder, _pool, _width, _height));
    }

    internal Task<(FfmpegProcess Decoder, RawFramePool Pool, int Width, int Height)> DecoderAsync(CancellationToken cancellationToken) =>
        _decoderReady.Task.WaitAsync(cancellationToken);

    internal TimeSpan FirstFrameTimeout => _options.FirstFrameTimeout;

    /// <summary>The error that ends a broadcast whose decoder found no picture in its first seconds.</summary>
    internal RpcException NoPicture() => new(new Status(StatusCode.InvalidArgument,
        $"broadcast '{Key}': no video could be decoded from the stream within {_options.FirstFrameTimeout.TotalSeconds:0.#} s " +
        $"(expected MPEG-TS with H.264 or HEVC video); ffmpeg: {_decoder?.ErrorTail}"));

    internal void OnFrameDecoded()
    {
        Interlocked.Increment(ref _framesIn);
        _metrics.FramesIn.Inc();
    }

    /// <summary>
    /// The decoder's output ended. Having decoded nothing and failed, it was fed something that is not video:
    /// that ends the session with INVALID_ARGUMENT and ffmpeg's own words; otherwise the broadcast simply ended.
    /// </summary>
    internal async Task DecoderEndedAsync(ulong framesDecoded)
    {
        var decoder = _decoder;
        if (decoder is null || Volatile.Read(ref _ended) != 0)
        {
            return;
        }

        await decoder.WaitForExitAsync(s_decoderExitWait).ConfigureAwait(false);
        if (framesDecoded == 0 && _endReason is not "idle" && !(_client?.Token.IsCancellationRequested ?? true))
        {
            throw NoPicture();
        }
    }

    internal async Task OnFrameAnsweredAsync(OutputFrame frame, CancellationToken cancellationToken)
    {
        _pool?.ReleaseThrough(frame.Sequence);
        if (frame.Dropped)
        {
            Interlocked.Increment(ref _framesDropped);
            _metrics.FramesDropped.Inc();
            return;
        }

        var encoder = _encoder;
        if (frame.Data.IsEmpty || encoder is null)
        {
            // A failed frame: the session counts it and ends the stream after too many in a row.
            return;
        }

        if (frame.Format != FrameFormat.Rgb24 || frame.Width != _width || frame.Height != _height)
        {
            if (!_loggedFormat)
            {
                _loggedFormat = true;
                LogUnexpectedFormat(Key, frame.Format, frame.Width, frame.Height);
            }

            return;
        }

        var start = Stopwatch.GetTimestamp();
        try
        {
            await encoder.Input.WriteAsync(frame.Data.Memory, cancellationToken).ConfigureAwait(false);
            await encoder.Input.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal,
                $"broadcast '{Key}': the output encoder exited ({ex.Message}); ffmpeg: {encoder.ErrorTail}"));
        }

        var now = Stopwatch.GetTimestamp();
        _metrics.EncoderWrite.Observe(Stopwatch.GetElapsedTime(start, now).TotalSeconds);
        _metrics.Latency.Observe(Stopwatch.GetElapsedTime(frame.ClientTimestampUs, now).TotalSeconds);
        _metrics.FramesOut.Inc();
        var count = Interlocked.Increment(ref _framesOut);
        if (count % CpuSampleInterval == 0)
        {
            SampleCpu();
        }
    }

    private void SampleCpu()
    {
        _decoderCpu = Max(_decoderCpu, _decoder?.CpuTime ?? TimeSpan.Zero);
        _encoderCpu = Max(_encoderCpu, _encoder?.CpuTime ?? TimeSpan.Zero);
        _encodedFrames = Interlocked.Read(ref _framesOut);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // Ingest → decoder, on its own thread because the sources' reads block (bounded by the receive timeout).
    private void PumpIngest()
    {
        var decoder = _decoder!;
        var buffer = new byte[2048];
        var lastData = Stopwatch.GetTimestamp();
        string reason;
        while (true)
        {
            var n = _ingest.Receive(buffer);
            if (n > 0)
            {
                try
                {
                    decoder.Input.Write(buffer, 0, n);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException)
                {
                    reason = "decoder exited";
                    break;
                }

                lastData = Stopwatch.GetTimestamp();
            }
            else if (n == 0)
            {
                if (Stopwatch.GetElapsedTime(lastData) >= _options.IdleTimeout)
                {
                    reason = "idle";
                    break;
                }
            }
            else
            {
                reason = "disconnected";
                break;
            }
        }

        _endReason ??= reason;
        try
        {
            // The decoder drains what it has and exits; the reader then sees the end of the stream.
            decoder.Input.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Gone already.
        }
    }

    // Encoder → players. Each player is an SRT connection whose sends never block (live mode drops late packets).
    private async Task PumpOutputAsync()
    {
        var encoder = _encoder!;
        var buffer = new byte[SrtConnection.MaxPayload * 16];
        try
        {
            int n;
            while ((n = await encoder.Output.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                // Copied and queued, never waited for: HLS must not slow the SRT players or the session.
                _hls?.Offer(buffer.AsSpan(0, n));
                lock (_viewers)
                {
                    for (var i = _viewers.Count - 1; i >= 0; i--)
                    {
                        if (!_viewers[i].Send(buffer.AsSpan(0, n)))
                        {
                            _viewers[i].Dispose();
                            _viewers.RemoveAt(i);
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The encoder was killed with the session.
        }
    }

    private async Task CleanupAsync()
    {
        Interlocked.Exchange(ref _ended, 1);
        _client?.Abort();
        SampleCpu();
        _ingest.Dispose();
        _pump?.Join(TimeSpan.FromSeconds(5));
        _decoder?.Dispose();
        _encoder?.Dispose();
        if (_outputPump is not null)
        {
            await _outputPump.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        if (_hls is not null)
        {
            if (_hls.Stopped)
            {
                LogHlsStopped(Key, _hls.ErrorTail);
            }

            // Kills the segmenter and deletes the session's HLS folder.
            _hls.Dispose();
        }

        lock (_viewers)
        {
            foreach (var viewer in _viewers)
            {
                viewer.Dispose();
            }

            _viewers.Clear();
        }

        _controls.Writer.TryComplete();
        if (_decoder is not null)
        {
            _metrics.DecoderCpu.Inc(_decoderCpu.TotalSeconds);
            _metrics.DecoderFrames.Inc(FramesIn);
        }

        if (_encoder is not null)
        {
            _metrics.EncoderCpu.Inc(_encoderCpu.TotalSeconds);
            _metrics.EncoderFrames.Inc(_encodedFrames);
        }

        _client?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Broadcast '{Key}' connected from {Peer}")]
    private partial void LogStarted(string key, string peer);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Broadcast '{Key}' (session {SessionId}) ended: {Outcome}; frames in {FramesIn}, out {FramesOut}, dropped {FramesDropped}")]
    private partial void LogEnded(string key, string sessionId, string outcome, long framesIn, long framesOut, long framesDropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broadcast '{Key}': the HLS segmenter stopped before the broadcast ended (fell behind or exited); ffmpeg: {ErrorTail}")]
    private partial void LogHlsStopped(string key, string errorTail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Broadcast '{Key}' failed")]
    private partial void LogFailed(string key, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Broadcast '{Key}': the pipeline returned {Format} {Width}x{Height}, not the session's RGB24; such frames are not encoded")]
    private partial void LogUnexpectedFormat(string key, FrameFormat format, int width, int height);
}
