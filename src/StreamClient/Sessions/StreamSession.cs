using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Cli;
using StreamDiffusion.StreamClient.Output;
using StreamDiffusion.StreamClient.Sources;
using ImagingFormat = StreamDiffusion.Pipeline.Imaging.FrameFormat;
using WireFormat = StreamDiffusion.StreamClient.Cli.WireFormat;
using WireFrameFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>
/// One <c>Stream</c> call: sends the session config, then the source's frames (center-cropped to the session
/// size, JPEG or raw) at the chosen rate, and writes every returned image to the sink. A send loop and a receive
/// loop run side by side; prompt changes queued with <see cref="ChangePrompt"/> go out as control messages just
/// before the next frame, so they apply from that frame on. The session does not care which processor the host
/// runs: it only relies on the protocol (one response per frame, in order).
/// </summary>
public sealed class StreamSession
{
    /// <summary>Bound on unanswered frames when pacing by time: the host drops what it cannot keep up with, this only caps memory.</summary>
    public const int PacedMaxInFlight = 64;

    private readonly Protos.V1.StreamDiffusion.StreamDiffusionClient _client;
    private readonly IFrameSource _source;
    private readonly IFrameSink? _sink;
    private readonly StreamClientOptions _options;
    private readonly Channel<ControlUpdate> _controls = Channel.CreateUnbounded<ControlUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _window;
    private long _startTimestamp;
    private FrameError? _firstError;

    /// <summary>Prepares a session; nothing is sent until <see cref="RunAsync"/>.</summary>
    /// <param name="channel">Channel to the host (a <c>GrpcChannel</c> in practice).</param>
    /// <param name="source">Frames to send; the session does not dispose it.</param>
    /// <param name="sink">Where returned images go (null: count them only); the session does not dispose it.</param>
    /// <param name="options">Session parameters.</param>
    public StreamSession(ChannelBase channel, IFrameSource source, IFrameSink? sink, StreamClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxInFlight);
        _client = new Protos.V1.StreamDiffusion.StreamDiffusionClient(channel);
        _source = source;
        _sink = sink;
        _options = options;
        SendFps = options.Fps ?? (source.IsLive ? 0 : source.Fps);
        OutputFps = options.Fps is > 0 ? options.Fps.Value : source.Fps;
        MaxInFlight = SendFps == 0 && !source.IsLive ? options.MaxInFlight : PacedMaxInFlight;
        _window = new SemaphoreSlim(MaxInFlight);
    }

    /// <summary>Raised on the receive loop for every OutputFrame, after it was counted and written, before its in-flight slot is freed.</summary>
    public event EventHandler<OutputFrame>? FrameReceived;

    /// <summary>Live counters.</summary>
    public StreamProgress Progress { get; } = new();

    /// <summary>What the host accepted (null until the session has started).</summary>
    public SessionStarted? Started { get; private set; }

    /// <summary>Send rate in frames per second; 0 when frames go as fast as the host answers (or as a camera delivers them).</summary>
    public double SendFps { get; }

    /// <summary>Frame rate written into the output video.</summary>
    public double OutputFps { get; }

    /// <summary>Most frames sent and not yet answered.</summary>
    public int MaxInFlight { get; }

    /// <summary>Time since <see cref="RunAsync"/> began.</summary>
    public TimeSpan Elapsed => _startTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_startTimestamp);

    /// <summary>Queues a prompt change; it is sent before the next frame. Ignored once the last frame has gone.</summary>
    public void ChangePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        _controls.Writer.TryWrite(new ControlUpdate { Prompt = prompt });
    }

    /// <summary>The first message of the call, built from the options.</summary>
    public SessionConfig BuildConfig() => new()
    {
        Model = _options.Model,
        Mode = GenerationMode.Img2Img,
        Width = _options.Size,
        Height = _options.Size,
        Prompt = _options.Prompt,
        OutputEncoding = _options.Format == WireFormat.Raw ? OutputEncoding.Raw : OutputEncoding.Jpeg,
        Quality = _options.Quality,
    };

    /// <summary>
    /// Streams the source to the end (or until <paramref name="stopToken"/> fires), waits for the remaining
    /// responses and returns the totals.
    /// </summary>
    /// <exception cref="RpcException">The host could not be reached or ended the call with an error status.</exception>
    /// <exception cref="InvalidDataException">The source could not be read.</exception>
    public async Task<StreamSummary> RunAsync(CancellationToken stopToken = default)
    {
        _startTimestamp = Stopwatch.GetTimestamp();
        using var callCts = new CancellationTokenSource();
        using var call = _client.Stream(cancellationToken: callCts.Token);
        var started = await StartAsync(call, callCts).ConfigureAwait(false);
        Started = started;
        _sink?.Open(started.Width, started.Height, OutputFps);

        using var decoder = _sink is null ? null : new OutputFrameDecoder(started.Width, started.Height);
        using var abort = new CancellationTokenSource();
        var receive = ReceiveLoopAsync(call, decoder);
        var send = Task.Run(() => SendLoopAsync(call, stopToken, abort.Token), CancellationToken.None);

        // Whichever loop ends first decides: the host ending the call stops the sender.
        if (await Task.WhenAny(send, receive).ConfigureAwait(false) == receive && !send.IsCompleted)
        {
            await abort.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception sendError) when (sendError is not OperationCanceledException)
        {
            // A write fails when the call is already over; the receive loop then has the host's real status.
            await callCts.CancelAsync().ConfigureAwait(false);
            try
            {
                await receive.ConfigureAwait(false);
            }
            catch (RpcException status) when (status.StatusCode != StatusCode.Cancelled)
            {
                throw;
            }
            catch (RpcException)
            {
                // Cancelled by us just above.
            }

            throw;
        }

        SessionStats? final;
        try
        {
            final = await receive.WaitAsync(_options.DrainTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Responses that never came are reported as unanswered.
            await callCts.CancelAsync().ConfigureAwait(false);
            final = null;
            try
            {
                await receive.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }
        }

        return Summarize(started, final);
    }

    private async Task<SessionStarted> StartAsync(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call, CancellationTokenSource callCts)
    {
        // Model loading can take a while on a real host, but a host that never answers must not hang the client.
        callCts.CancelAfter(_options.StartTimeout);
        try
        {
            try
            {
                await call.RequestStream.WriteAsync(new StreamRequest { Config = BuildConfig() }).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // The call already finished (e.g. refused at once); its status comes from the response stream below.
            }

            if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var status = call.GetStatus();
                throw new RpcException(status.StatusCode == StatusCode.OK
                    ? new Status(StatusCode.Internal, "the host ended the stream without starting a session")
                    : status);
            }

            var first = call.ResponseStream.Current;
            if (first.PayloadCase != StreamResponse.PayloadOneofCase.Started)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"the host answered the config with {first.PayloadCase} instead of SessionStarted"));
            }

            callCts.CancelAfter(Timeout.InfiniteTimeSpan);
            return first.Started;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && callCts.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                string.Create(CultureInfo.InvariantCulture, $"the host did not start the session within {_options.StartTimeout.TotalSeconds:0.#} s")));
        }
    }

    private async Task SendLoopAsync(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call, CancellationToken stop, CancellationToken abort)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        var ct = linked.Token;
        using var encoder = new InputFrameEncoder(_options.Size, _options.Format, _options.Quality);
        var pacer = new FramePacer(SendFps);

        // One request object for every frame: WriteAsync serializes it before it completes.
        var input = new InputFrame();
        var request = new StreamRequest { Frame = input };
        ulong sequence = 0;
        try
        {
            foreach (var frame in _source.ReadFrames(ct))
            {
                await _window.WaitAsync(ct).ConfigureAwait(false);
                await pacer.WaitAsync((long)sequence, ct).ConfigureAwait(false);
                await FlushControlsAsync(call.RequestStream).ConfigureAwait(false);

                var encoded = encoder.Encode(frame);
                var descriptor = encoded.Descriptor;
                input.Data = UnsafeByteOperations.UnsafeWrap(encoded.Data);
                input.Format = descriptor.Format == ImagingFormat.Rgb24 ? WireFrameFormat.Rgb24 : WireFrameFormat.Jpeg;
                input.Width = descriptor.Width;
                input.Height = descriptor.Height;
                input.Stride = descriptor.Format == ImagingFormat.Rgb24 ? descriptor.Width * 3 : 0;
                input.Sequence = sequence;
                input.ClientTimestampUs = NowMicroseconds();
                await call.RequestStream.WriteAsync(request).ConfigureAwait(false);
                Progress.OnSent();
                sequence++;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (abort.IsCancellationRequested)
            {
                return;
            }

            // Stop requested (Ctrl+C, window closed): finish cleanly below.
        }

        _controls.Writer.TryComplete();
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
    }

    private async Task FlushControlsAsync(IClientStreamWriter<StreamRequest> writer)
    {
        while (_controls.Reader.TryRead(out var control))
        {
            await writer.WriteAsync(new StreamRequest { Control = control }).ConfigureAwait(false);
            Progress.OnControl();
        }
    }

    private async Task<SessionStats?> ReceiveLoopAsync(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call, OutputFrameDecoder? decoder)
    {
        // Let RunAsync start the sender before this loop takes the thread.
        await Task.Yield();
        SessionStats? final = null;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            switch (response.PayloadCase)
            {
                case StreamResponse.PayloadOneofCase.Frame:
                    OnFrame(response.Frame, decoder);
                    break;
                case StreamResponse.PayloadOneofCase.Stats:
                    Progress.OnStats(response.Stats);
                    if (response.Stats.Final)
                    {
                        final = response.Stats;
                    }

                    break;
                default:
                    // Unknown or repeated payloads from a newer host are ignored.
                    break;
            }
        }

        return final;
    }

    private void OnFrame(OutputFrame frame, OutputFrameDecoder? decoder)
    {
        var now = NowMicroseconds();
        Progress.OnFrame(frame);
        if (frame.Error is not null)
        {
            _firstError ??= frame.Error;
        }
        else if (!frame.Dropped)
        {
            Progress.Latency.Record(now - frame.ClientTimestampUs);
            if (_sink is not null && decoder is not null && !frame.Data.IsEmpty)
            {
                var rgb = decoder.ToRgb(frame, out var width, out var height);
                _sink.Write(rgb, width, height);
                Progress.OnWritten();
            }
        }

        FrameReceived?.Invoke(this, frame);
        _window.Release();
    }

    private long NowMicroseconds() => (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalMicroseconds;

    private StreamSummary Summarize(SessionStarted started, SessionStats? final) => new()
    {
        SessionId = started.SessionId,
        Width = started.Width,
        Height = started.Height,
        FramesSent = Progress.Sent,
        FramesReceived = Progress.Received,
        FramesSkipped = Progress.Skipped,
        FramesDropped = Progress.Dropped,
        FramesFailed = Progress.Failed,
        FramesWritten = Progress.Written,
        ControlsSent = Progress.ControlsSent,
        Latency = Progress.Latency.Summarize(),
        Elapsed = Elapsed,
        ServerStats = final,
        FirstError = _firstError,
    };
}
