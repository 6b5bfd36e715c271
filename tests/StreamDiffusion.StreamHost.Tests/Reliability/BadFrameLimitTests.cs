using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Tests.Diffusion;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

public sealed class BadFrameLimitTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    [Theory]
    [InlineData(FrameFormat.Jpeg)]
    [InlineData(FrameFormat.Png)]
    public async Task Frames_that_pass_the_signature_check_but_fail_to_decode_count_toward_the_limit(FrameFormat format)
    {
        const int limit = 3;
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion,
            fixture.Settings($"Limits:MaxConsecutiveBadFrames={limit}"));
        var (call, _) = await Frames.OpenAsync(host.Client, new SessionConfig { Prompt = "x", Width = 64, Height = 64 });
        using (call)
        {
            byte[] signature = format == FrameFormat.Jpeg ? [0xFF, 0xD8, 0xFF] : [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
            var garbage = signature.Concat(Enumerable.Range(0, 500).Select(i => (byte)(i * 31))).ToArray();
            for (var i = 1; i <= limit; i++)
            {
                await call.RequestStream.WriteAsync(Frames.Request(new InputFrame { Data = ByteString.CopyFrom(garbage), Format = format, Sequence = (ulong)i }));
                var answer = await Frames.NextFrameAsync(call.ResponseStream).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.NotNull(answer);
                Assert.Equal((int)StatusCode.InvalidArgument, answer.Error.Code);
            }

            // The limit-th undecodable frame ends the stream (a stream that stays open times out here).
            var ended = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(StatusCode.InvalidArgument, ended.StatusCode);
            Assert.Contains($"{limit} invalid frames in a row", ended.Status.Detail, StringComparison.Ordinal);
        }
    }
}
