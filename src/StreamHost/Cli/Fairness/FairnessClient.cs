using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.StreamHost.Cli.Fairness;

/// <summary>
/// One measured stream of <c>bench fairness</c>: raw frames in and out. A paced stream sends a frame every 1/fps
/// seconds, like a camera (a slot with too many frames unanswered is skipped); a greedy one keeps two frames in flight,
/// so the host always has its next frame queued the moment the previous one is done. Answers are counted when they
/// arrive inside the measured window.
/// </summary>
internal sealed class FairnessClient(Client client, string role, double fps, int size, IReadOnlyList<ByteString> frames)
{
    private const int GreedyInFlight = 2;
    private const int PacedInFlight = 8;

    public async Task<FairnessStream> RunAsync(TimeSpan settle, TimeSpan window, CancellationToken cancellationToken)
    {
        using var call = client.Stream(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new StreamRequest
        {
            Config = new SessionConfig { Width = size, Height = size, Prompt = "a watercolor painting", OutputEncoding = OutputEncoding.Raw },
        }, cancellationToken).ConfigureAwait(false);
        if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false)
            || call.ResponseStream.Current.PayloadCase != StreamResponse.PayloadOneofCase.Started)
        {
            throw new InvalidOperationException($"the {role} stream did not start");
        }

        var windowStart = Stopwatch.GetTimestamp() + (long)(settle.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var greedy = fps <= 0;
        using var inFlight = new SemaphoreSlim(greedy ? GreedyInFlight : PacedInFlight);
        var sentAt = new ConcurrentDictionary<ulong, long>();
        long processed = 0, dropped = 0, failed = 0;
        double latencySum = 0;
        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                if (call.ResponseStream.Current.PayloadCase != StreamResponse.PayloadOneofCase.Frame)
                {
                    continue;
                }

                var now = Stopwatch.GetTimestamp();
                var frame = call.ResponseStream.Current.Frame;
                inFlight.Release();
                sentAt.TryRemove(frame.Sequence, out var sent);
                if (now < windowStart || now >= windowEnd)
                {
                    continue;
                }

                if (frame.Error is not null)
                {
                    failed++;
                }
                else if (frame.Dropped)
                {
                    dropped++;
                }
                else
                {
                    processed++;
                    latencySum += Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds;
                }
            }
        }, CancellationToken.None);

        ulong sequence = 0;
        if (greedy)
        {
            while (Stopwatch.GetTimestamp() < windowEnd)
            {
                await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
                await SendAsync(call, ++sequence, sentAt, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / fps));
            while (Stopwatch.GetTimestamp() < windowEnd && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (inFlight.Wait(0))
                {
                    await SendAsync(call, ++sequence, sentAt, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        await reader.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        return new FairnessStream(role, greedy ? 0 : fps, processed / window.TotalSeconds, processed, dropped, failed,
            processed == 0 ? 0 : latencySum / processed);
    }

    private Task SendAsync(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call, ulong sequence, ConcurrentDictionary<ulong, long> sentAt, CancellationToken cancellationToken)
    {
        sentAt[sequence] = Stopwatch.GetTimestamp();
        return call.RequestStream.WriteAsync(new StreamRequest
        {
            Frame = new InputFrame
            {
                Data = frames[(int)(sequence % (ulong)frames.Count)],
                Format = FrameFormat.Rgb24,
                Width = size,
                Height = size,
                Sequence = sequence,
            },
        }, cancellationToken);
    }
}
