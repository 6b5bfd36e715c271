using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Tests;

/// <summary>Frame builders and stream helpers shared by the tests.</summary>
internal static class Frames
{
    public static SessionConfig RawConfig(int size = 64) => new()
    {
        Prompt = "a test",
        Width = size,
        Height = size,
        OutputEncoding = OutputEncoding.Raw,
    };

    public static StreamRequest Config(SessionConfig config) => new() { Config = config };

    /// <summary>A raw frame whose bytes depend on (seed, position); rows padded when stride is larger.</summary>
    public static InputFrame Raw(int width, int height, ulong sequence, int seed, FrameFormat format = FrameFormat.Rgb24, int stride = 0)
    {
        var rowStride = stride == 0 ? width * 3 : stride;
        var data = new byte[rowStride * height];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)((i * 7) + (seed * 13));
        }

        return new InputFrame
        {
            Data = ByteString.CopyFrom(data),
            Format = format,
            Width = width,
            Height = height,
            Stride = stride,
            Sequence = sequence,
            ClientTimestampUs = 1_000_000 + (long)sequence,
        };
    }

    public static StreamRequest Request(InputFrame frame) => new() { Frame = frame };

    /// <summary>What the echo processor returns for a raw frame: packed RGB24, every sample inverted.</summary>
    public static byte[] ExpectedEcho(InputFrame frame)
    {
        var stride = frame.Stride == 0 ? frame.Width * 3 : frame.Stride;
        var src = frame.Data.Span;
        var result = new byte[frame.Width * frame.Height * 3];
        var bgr = frame.Format == FrameFormat.Bgr24;
        for (var y = 0; y < frame.Height; y++)
        {
            for (var x = 0; x < frame.Width; x++)
            {
                var s = (y * stride) + (x * 3);
                var d = ((y * frame.Width) + x) * 3;
                result[d] = (byte)(255 - src[bgr ? s + 2 : s]);
                result[d + 1] = (byte)(255 - src[s + 1]);
                result[d + 2] = (byte)(255 - src[bgr ? s : s + 2]);
            }
        }

        return result;
    }

    /// <summary>Reads responses until the next OutputFrame (stats are skipped; null at the end of the stream).</summary>
    public static async Task<OutputFrame?> NextFrameAsync(IAsyncStreamReader<StreamResponse> responses)
    {
        while (await responses.MoveNext(CancellationToken.None))
        {
            if (responses.Current.PayloadCase == StreamResponse.PayloadOneofCase.Frame)
            {
                return responses.Current.Frame;
            }
        }

        return null;
    }

    /// <summary>Opens a stream, sends the config and waits for SessionStarted.</summary>
    public static async Task<(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> Call, SessionStarted Started)> OpenAsync(
        StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient client, SessionConfig config)
    {
        var call = client.Stream();
        await call.RequestStream.WriteAsync(Config(config));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StreamResponse.PayloadOneofCase.Started, call.ResponseStream.Current.PayloadCase);
        return (call, call.ResponseStream.Current.Started);
    }

    /// <summary>Sends one frame and returns its response.</summary>
    public static async Task<OutputFrame> RoundTripAsync(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call, InputFrame frame)
    {
        await call.RequestStream.WriteAsync(Request(frame));
        var output = await NextFrameAsync(call.ResponseStream);
        Assert.NotNull(output);
        return output;
    }

    /// <summary>Half-closes and collects everything left, returning the final stats.</summary>
    public static async Task<(List<OutputFrame> Frames, SessionStats? Final)> CompleteAsync(
        AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call)
    {
        await call.RequestStream.CompleteAsync();
        var frames = new List<OutputFrame>();
        SessionStats? final = null;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var r = call.ResponseStream.Current;
            if (r.PayloadCase == StreamResponse.PayloadOneofCase.Frame)
            {
                frames.Add(r.Frame.Clone());
            }
            else if (r.PayloadCase == StreamResponse.PayloadOneofCase.Stats && r.Stats.Final)
            {
                final = r.Stats;
            }
        }

        return (frames, final);
    }
}
