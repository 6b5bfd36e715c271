using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using OpenCvSharp;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Output;
using WireFrameFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.StreamClient.Sessions;

/// <summary>
/// One <c>GenerateVideo</c> call: reads the frames as they leave the host's FIFO queue, checks they arrive in
/// order, decodes each to RGB24 and hands it to the sink. <see cref="ChangePrompt"/> sends <c>ControlVideo</c>
/// for the running session (live prompt travel). Stopping with the token ends the call as a user stop, not
/// an error: what arrived so far is kept.
/// </summary>
public sealed class VideoGeneration
{
    private readonly StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient _client;
    private readonly GenerateVideoRequest _request;
    private readonly IFrameSink? _sink;
    private readonly double _fps;
    private long _received;
    private long _started;
    private string? _sessionId;
    private string? _prompt;
    private int _promptChanges;

    /// <summary>Prepares the call; nothing is sent until <see cref="RunAsync"/>.</summary>
    /// <param name="channel">The host.</param>
    /// <param name="request">What to generate.</param>
    /// <param name="sink">Where frames go (null: only counted).</param>
    /// <param name="fps">Frame rate the sink records.</param>
    public VideoGeneration(GrpcChannel channel, GenerateVideoRequest request, IFrameSink? sink, double fps)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        _client = new StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient(channel);
        _request = request;
        _sink = sink;
        _fps = fps;
    }

    /// <summary>Frames received so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>The host's session id, once the first frame arrived.</summary>
    public string? SessionId => Volatile.Read(ref _sessionId);

    /// <summary>The prompt of the newest frame.</summary>
    public string? Prompt => Volatile.Read(ref _prompt);

    /// <summary>Live prompt changes the host accepted.</summary>
    public int PromptChanges => Volatile.Read(ref _promptChanges);

    /// <summary>Seconds since the call started (0 before).</summary>
    public double Elapsed => Interlocked.Read(ref _started) is var s and not 0 ? Stopwatch.GetElapsedTime(s).TotalSeconds : 0;

    /// <summary>Runs the call to <c>num_frames</c> (or until <paramref name="stopToken"/>).</summary>
    /// <exception cref="RpcException">The host refused or ended the call with an error.</exception>
    /// <exception cref="InvalidDataException">A frame arrived out of order or could not be decoded.</exception>
    public async Task<VideoSummary> RunAsync(CancellationToken stopToken)
    {
        Interlocked.Exchange(ref _started, Stopwatch.GetTimestamp());
        int width = 0, height = 0;
        using var call = _client.GenerateVideo(_request, cancellationToken: stopToken);
        using var rgb = new Mat();
        try
        {
            while (await call.ResponseStream.MoveNext(stopToken).ConfigureAwait(false))
            {
                var frame = call.ResponseStream.Current;
                var expected = (ulong)Received;
                if (frame.Index != expected)
                {
                    throw new InvalidDataException($"frame {frame.Index} arrived where frame {expected} was expected");
                }

                if (expected == 0)
                {
                    (width, height) = (frame.Width, frame.Height);
                    Volatile.Write(ref _sessionId, frame.SessionId);
                    _sink?.Open(width, height, _fps);
                }

                Volatile.Write(ref _prompt, frame.Prompt);
                if (_sink is not null)
                {
                    Write(frame, rgb);
                }

                Interlocked.Increment(ref _received);
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && stopToken.IsCancellationRequested)
        {
            // The user stopped: the frames so far are the result.
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // As above, when the stop arrived between two reads.
        }

        return new VideoSummary(Received, width, height, Elapsed, SessionId, PromptChanges);
    }

    /// <summary>
    /// Sends a live prompt change for the running session; false (with the reason) when there is no session yet
    /// or the host refused it.
    /// </summary>
    public async Task<(bool Accepted, string Message)> ChangePromptAsync(string prompt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        if (SessionId is not { } id)
        {
            return (false, "no frame has arrived yet, so there is no session to change");
        }

        try
        {
            var response = await _client.ControlVideoAsync(new VideoControlRequest { SessionId = id, Prompt = prompt }, cancellationToken: cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _promptChanges);
            return (true, $"from frame {response.AppliesFromFrame}, fully in after {response.ArrivalFrames} frames");
        }
        catch (RpcException ex)
        {
            return (false, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }

    private void Write(VideoFrame frame, Mat rgb)
    {
        var data = frame.Data.Span;
        if (frame.Format == WireFrameFormat.Rgb24)
        {
            if (data.Length != frame.Width * frame.Height * 3)
            {
                throw new InvalidDataException($"frame {frame.Index}: {data.Length} bytes of RGB24 for {frame.Width}x{frame.Height}");
            }

            _sink!.Write(data, frame.Width, frame.Height);
            return;
        }

        if (frame.Format is not (WireFrameFormat.Jpeg or WireFrameFormat.Png))
        {
            throw new InvalidDataException($"frame {frame.Index} is in format {frame.Format}, which the client cannot decode");
        }

        using var bgr = Cv2.ImDecode(data, ImreadModes.Color);
        if (bgr.Empty())
        {
            throw new InvalidDataException($"frame {frame.Index}: the {frame.Format} image does not decode");
        }

        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        unsafe
        {
            _sink!.Write(new ReadOnlySpan<byte>(rgb.DataPointer, rgb.Width * rgb.Height * 3), rgb.Width, rgb.Height);
        }
    }
}
