using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using StreamDiffusion.LoadTest.Frames;
using StreamDiffusion.Protos.V1;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.Soak;

/// <summary>
/// One misbehaving client: session after session on a fresh connection each, sending frames at the configured
/// rate, changing the prompt now and then, and ending each session in one of the <see cref="SessionEnding"/> ways.
/// </summary>
public sealed class SoakClient
{
    private static readonly string[] s_prompts =
        ["a watercolor painting", "an oil painting of a harbour", "a neon city at night", "a pencil sketch", "a mosaic"];

    private static readonly (SessionEnding Ending, int Weight)[] s_endings =
    [
        (SessionEnding.Clean, 35), (SessionEnding.CancelAfterConfig, 15), (SessionEnding.CancelMidStream, 20),
        (SessionEnding.SlowReader, 15), (SessionEnding.Vanish, 15),
    ];

    // HTTP/2 ENHANCE_YOUR_CALM: how the host ends a session whose client stopped reading.
    private const long EnhanceYourCalm = 0xb;

    private readonly int _index;
    private readonly SoakOptions _options;
    private readonly FrameLibrary _frames;
    private readonly SoakTally _tally;
    private readonly Random _random;

    public SoakClient(int index, SoakOptions options, FrameLibrary frames, SoakTally tally)
    {
        ArgumentNullException.ThrowIfNull(options);
        _index = index;
        _options = options;
        _frames = frames;
        _tally = tally;
        _random = new Random(options.Seed * 7919 + index);
    }

    /// <summary>Runs sessions until <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var ending = PickEnding();
            try
            {
                await RunSessionAsync(ending, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                _tally.Status(ex.StatusCode, ending);
            }
            catch (HttpProtocolException ex) when (ex.ErrorCode == EnhanceYourCalm)
            {
                // The host resets a stream whose client stopped reading for Capacity:ClientReadTimeout; a write
                // on it then fails in the HTTP layer rather than as a gRPC status.
                _tally.Status(StatusCode.ResourceExhausted, ending);
            }
            catch (Exception ex) when (ex is HttpProtocolException or IOException)
            {
                _tally.TransportError(ending);
            }

            // A short think time between sessions, as a user reconnecting would have.
            await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(100, 800)), CancellationToken.None);
        }
    }

    private SessionEnding PickEnding()
    {
        var roll = _random.Next(s_endings.Sum(e => e.Weight));
        foreach (var (ending, weight) in s_endings)
        {
            if ((roll -= weight) < 0)
            {
                return ending;
            }
        }

        return SessionEnding.Clean;
    }

    private async Task RunSessionAsync(SessionEnding ending, CancellationToken stop)
    {
        var channel = GrpcChannel.ForAddress(_options.Server, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            var call = new Client(channel).Stream(cancellationToken: cts.Token);
            _tally.Started(ending);
            await call.RequestStream.WriteAsync(new StreamRequest
            {
                Config = new SessionConfig
                {
                    Prompt = s_prompts[_random.Next(s_prompts.Length)],
                    Width = _options.Size,
                    Height = _options.Size,
                    OutputEncoding = OutputEncoding.Jpeg,
                    Seed = _random.Next(),
                },
            }, cts.Token);
            if (ending == SessionEnding.CancelAfterConfig)
            {
                cts.Cancel();
                _tally.Ended(ending);
                return;
            }

            // A slow reader reads a few answers, then nothing until the session ends.
            var readLimit = ending == SessionEnding.SlowReader ? _random.Next(0, 5) : int.MaxValue;
            var reader = ReadAsync(call.ResponseStream, readLimit, cts.Token);
            var frames = (int)(_options.Fps * _random.Next(3, 12));
            var interval = TimeSpan.FromSeconds(1 / _options.Fps);
            var endAt = ending is SessionEnding.CancelMidStream or SessionEnding.Vanish ? _random.Next(1, frames) : frames;
            for (var i = 0; i < endAt && !cts.IsCancellationRequested; i++)
            {
                if (_random.Next(40) == 0)
                {
                    await call.RequestStream.WriteAsync(new StreamRequest { Control = new ControlUpdate { Prompt = s_prompts[_random.Next(s_prompts.Length)] } }, cts.Token);
                }

                await call.RequestStream.WriteAsync(new StreamRequest
                {
                    Frame = new InputFrame
                    {
                        Format = FrameFormat.Jpeg,
                        Data = _frames.Frame(_index, i),
                        Sequence = (ulong)i,
                        ClientTimestampUs = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000),
                    },
                }, cts.Token);
                _tally.FrameSent();
                await Task.Delay(interval, cts.Token);
            }

            switch (ending)
            {
                case SessionEnding.Clean:
                    await call.RequestStream.CompleteAsync();
                    await reader;
                    break;
                case SessionEnding.Vanish:
                    // The connection goes away with no cancel and no end of stream: the host sees a dead peer.
                    channel.Dispose();
                    break;
                default:
                    cts.Cancel();
                    break;
            }

            _tally.Ended(ending);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cts.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            _tally.Ended(ending);
        }
        catch (Exception ex) when (ending == SessionEnding.Vanish && ex is RpcException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            _tally.Ended(ending);
        }
        finally
        {
            channel.Dispose();
        }
    }

    private async Task ReadAsync(IAsyncStreamReader<StreamResponse> responses, int limit, CancellationToken cancel)
    {
        try
        {
            var read = 0;
            while (read < limit && await responses.MoveNext(cancel))
            {
                read++;
                if (responses.Current.PayloadCase == StreamResponse.PayloadOneofCase.Frame)
                {
                    var frame = responses.Current.Frame;
                    var nowUs = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
                    _tally.FrameAnswered(frame.Dropped, (nowUs - frame.ClientTimestampUs) / 1000.0);
                }
            }

            if (read >= limit)
            {
                await Task.Delay(Timeout.Infinite, cancel);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (RpcException ex)
        {
            _tally.Status(ex.StatusCode, SessionEnding.Clean);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection was dropped on purpose (Vanish).
        }
    }
}
