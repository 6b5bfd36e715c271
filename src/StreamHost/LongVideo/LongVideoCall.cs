using System.Buffers;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Web;
using ProtoFrameFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.StreamHost.LongVideo;

/// <summary>
/// One GenerateVideo call: starts the generator, then loops iteration → encode → send → publish to MJPEG
/// viewers until num_frames or cancellation. Cancellation reaches the engine wait of the iteration in progress,
/// so work stops within one iteration; the caller's lease (capacity slot) is released when this returns.
/// The gRPC writer awaits each frame, so a slow reader slows generation instead of queueing frames.
/// </summary>
internal sealed partial class LongVideoCall(
    ModelRuntime runtime,
    LongVideoOptions options,
    SessionSettings settings,
    string sessionId,
    IServerStreamWriter<VideoFrame> responseStream,
    LiveSession live,
    HostMetrics metrics,
    LongVideoSessions sessions,
    ILogger logger)
{
    public async Task RunAsync(ulong numFrames, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var generator = await LongVideoGenerator.CreateAsync(runtime, options, cancellationToken).ConfigureAwait(false);
        using var registration = sessions.Register(sessionId, generator, live.Owner);
        using var encoder = new FrameEncoder();
        var encoding = new FrameEncoding
        {
            Format = settings.OutputEncoding switch
            {
                OutputEncoding.Png => Pipeline.Imaging.FrameFormat.Png,
                OutputEncoding.Raw => Pipeline.Imaging.FrameFormat.Rgb24,
                _ => Pipeline.Imaging.FrameFormat.Jpeg,
            },
            JpegQuality = settings.Quality,
        };
        var format = settings.OutputEncoding switch
        {
            OutputEncoding.Png => ProtoFrameFormat.Png,
            OutputEncoding.Raw => ProtoFrameFormat.Rgb24,
            _ => ProtoFrameFormat.Jpeg,
        };
        LogStarted(sessionId, settings.Model, settings.Width, settings.Height, generator.Queue.Schedule.Levels, options.Lookahead, options.CoherentTail, options.Sampler, options.SubjectGuidance);
        var image = new float[generator.ImageLength];
        var buffer = new ArrayBufferWriter<byte>();
        var sent = 0UL;
        try
        {
            while (numFrames == 0 || sent < numFrames)
            {
                // Give the thread back once per frame. A lone client's model calls run inline and a buffered write
                // completes at once, so without this the loop never yields: it would hold one thread-pool thread
                // for the whole video and strand the work queued on that thread (the /ws/video control loop that
                // notices the client closing, for one), leaving an unbounded video running for no one.
                await Task.Yield();
                var frame = await generator.NextFrameAsync(image, default, cancellationToken).ConfigureAwait(false);
                var encodeStarted = Stopwatch.GetTimestamp();
                buffer.ResetWrittenCount();
                encoder.Encode(image, settings.Width, settings.Height, encoding, buffer);
                var encodeMs = Stopwatch.GetElapsedTime(encodeStarted).TotalMilliseconds;
                var data = buffer.WrittenMemory;
                await responseStream.WriteAsync(
                    new VideoFrame
                    {
                        Data = ByteString.CopyFrom(data.Span),
                        Format = format,
                        Width = settings.Width,
                        Height = settings.Height,
                        Index = (ulong)frame.Index,
                        Prompt = frame.Prompt,
                        SessionId = sessionId,
                        Timings = new FrameTimings
                        {
                            DenoiseMs = (float)frame.DenoiseMs,
                            DecodeMs = (float)frame.DecodeMs,
                            EncodeMs = (float)encodeMs,
                            TotalMs = (float)(frame.DenoiseMs + frame.DecodeMs + encodeMs),
                        },
                    },
                    cancellationToken).ConfigureAwait(false);
                live.Publish(new ProcessedFrame(data, format, settings.Width, settings.Height, false, frame.DecodeMs, frame.DenoiseMs, encodeMs));
                metrics.FramesOut.Inc();
                sent++;
            }
        }
        finally
        {
            LogEnded(sessionId, sent, Stopwatch.GetElapsedTime(started).TotalSeconds, generator.TimeToFirstFrame?.TotalMilliseconds ?? -1);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Long-video session {SessionId} started: model {Model} {Width}x{Height}, queue {Levels}, lookahead {Lookahead}, coherent tail {CoherentTail}, sampler {Sampler}, subject guidance {SubjectGuidance}")]
    private partial void LogStarted(string sessionId, string model, int width, int height, int levels, bool lookahead, bool coherentTail, FifoSampler sampler, bool subjectGuidance);

    [LoggerMessage(Level = LogLevel.Information, Message = "Long-video session {SessionId} ended: {Frames} frames in {Seconds:0.0} s, first frame after {TtffMs:0} ms")]
    private partial void LogEnded(string sessionId, ulong frames, double seconds, double ttffMs);

    private ILogger Logger => logger;
}
