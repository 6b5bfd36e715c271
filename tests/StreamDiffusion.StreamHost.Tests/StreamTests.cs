using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests;

public sealed class StreamTests
{
    [Fact]
    public async Task Sixty_frames_return_sixty_responses_in_order_with_metadata()
    {
        await using var host = await LoopbackHost.StartAsync();
        var (call, started) = await Frames.OpenAsync(host.Client, Frames.RawConfig(64));
        using var _ = call;
        Assert.Equal(64, started.Width);
        Assert.Equal([32, 45], started.TIndexList);
        Assert.Equal(CfgType.Self, started.CfgType);

        var sent = Enumerable.Range(0, 60)
            .Select(i => Frames.Raw(24 + (i % 3 * 8), 16, (ulong)(100 + i), i, i % 2 == 0 ? FrameFormat.Rgb24 : FrameFormat.Bgr24, i % 5 == 0 ? 128 : 0))
            .ToList();

        // At most two frames outstanding: with an input queue of 2 nothing can be dropped.
        var outstanding = new SemaphoreSlim(2);
        var reader = Task.Run(async () =>
        {
            var got = new List<OutputFrame>();
            while (got.Count < sent.Count && await Frames.NextFrameAsync(call.ResponseStream) is { } f)
            {
                got.Add(f);
                outstanding.Release();
            }

            return got;
        });
        foreach (var frame in sent)
        {
            await outstanding.WaitAsync();
            await call.RequestStream.WriteAsync(Frames.Request(frame));
        }

        var responses = await reader;
        var (rest, final) = await Frames.CompleteAsync(call);
        Assert.Empty(rest);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);

        Assert.Equal(60, responses.Count);
        for (var i = 0; i < 60; i++)
        {
            var input = sent[i];
            var output = responses[i];
            Assert.Equal(input.Sequence, output.Sequence);
            Assert.Equal(input.ClientTimestampUs, output.ClientTimestampUs);
            Assert.Null(output.Error);
            Assert.False(output.Skipped);
            Assert.False(output.Dropped);
            Assert.Equal(FrameFormat.Rgb24, output.Format);
            Assert.Equal(input.Width, output.Width);
            Assert.Equal(input.Height, output.Height);
            Assert.Equal(Frames.ExpectedEcho(input), output.Data.ToByteArray());
            Assert.True(output.Timings.TotalMs >= output.Timings.QueueMs);
        }

        Assert.NotNull(final);
        Assert.Equal(60UL, final.FramesIn);
        Assert.Equal(60UL, final.FramesOut);
        Assert.Equal(0UL, final.FramesDropped);
        Assert.Equal(0UL, final.FramesFailed);
    }

    [Fact]
    public async Task Four_concurrent_streams_each_get_their_own_frames()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Limits:MaxSessions=4");
        var streams = Enumerable.Range(0, 4).Select(async s =>
        {
            var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
            using (call)
            {
                for (var i = 0; i < 20; i++)
                {
                    var frame = Frames.Raw(16, 8, (ulong)i, seed: (s * 100) + i);
                    var output = await Frames.RoundTripAsync(call, frame);
                    Assert.Equal((ulong)i, output.Sequence);
                    Assert.Equal(Frames.ExpectedEcho(frame), output.Data.ToByteArray());
                }

                var (rest, final) = await Frames.CompleteAsync(call);
                Assert.Empty(rest);
                Assert.Equal(20UL, final!.FramesOut);
                return final.SessionId;
            }
        }).ToList();

        var ids = await Task.WhenAll(streams);
        Assert.Equal(4, ids.Distinct().Count());
        Assert.Equal(80, host.Metrics.FramesOut.Value);
        Assert.Equal(0, host.Metrics.SessionsActive.Value);
    }

    [Fact]
    public async Task A_busy_session_drops_the_oldest_queued_frames_and_reports_them_in_order()
    {
        var gated = new GatedProcessorFactory();
        await using var host = await LoopbackHost.StartAsync(
            services => services.AddSingleton<IStreamProcessorFactory>(gated), "Capacity:InputQueueCapacity=2");
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using var _ = call;
        var sent = Enumerable.Range(1, 6).Select(i => Frames.Raw(8, 8, (ulong)i, i)).ToList();
        await call.RequestStream.WriteAsync(Frames.Request(sent[0]));
        await gated.Entered.WaitAsync();
        foreach (var frame in sent.Skip(1))
        {
            await call.RequestStream.WriteAsync(Frames.Request(frame));
        }

        // Frame 1 is held in the processor; wait until the host has read all six.
        while (host.Metrics.FramesIn.Value < 6)
        {
            await Task.Delay(10);
        }

        gated.Gate.Release(6);
        var (frames, final) = await Frames.CompleteAsync(call);

        Assert.Equal([1UL, 2, 3, 4, 5, 6], frames.Select(f => f.Sequence));
        Assert.Equal([false, true, true, true, false, false], frames.Select(f => f.Dropped));
        Assert.Equal(Frames.ExpectedEcho(sent[0]), frames[0].Data.ToByteArray());
        Assert.Equal(Frames.ExpectedEcho(sent[5]), frames[5].Data.ToByteArray());
        Assert.All(frames.Where(f => f.Dropped), f => Assert.True(f.Data.IsEmpty));
        Assert.Equal(3UL, final!.FramesDropped);
        Assert.Equal(3UL, final.FramesOut);
        Assert.Equal(3, host.Metrics.FramesDropped.Value);
        Assert.Equal(0, host.Metrics.QueueDepth.Value);
    }

    [Fact]
    public async Task Similarity_filter_skips_identical_frames_up_to_max_skip()
    {
        await using var host = await LoopbackHost.StartAsync();
        var config = Frames.RawConfig();
        config.SimilarityFilter = new SimilarityFilter { Enabled = true, Threshold = 0.95f, MaxSkipFrames = 2 };
        var (call, _) = await Frames.OpenAsync(host.Client, config);
        using var _ = call;
        var skipped = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            var output = await Frames.RoundTripAsync(call, Frames.Raw(8, 8, (ulong)i, seed: 7));
            skipped.Add(output.Skipped);
            Assert.Equal(Frames.ExpectedEcho(Frames.Raw(8, 8, 0, 7)), output.Data.ToByteArray());
        }

        Assert.Equal([false, true, true, false, true], skipped);
        var (_, final) = await Frames.CompleteAsync(call);
        Assert.Equal(3UL, final!.FramesSkipped);
        Assert.Equal(3, host.Metrics.FramesSkipped.Value);
    }

    [Fact]
    public async Task Control_messages_change_parameters_between_frames()
    {
        await using var host = await LoopbackHost.StartAsync();
        var config = Frames.RawConfig(16);
        config.Mode = GenerationMode.Txt2Img;
        config.Seed = 5;
        var (call, _) = await Frames.OpenAsync(host.Client, config);
        using var _ = call;
        var tick = new InputFrame { Sequence = 1 };
        var a = await Frames.RoundTripAsync(call, tick);
        var b = await Frames.RoundTripAsync(call, new InputFrame { Sequence = 2 });
        await call.RequestStream.WriteAsync(new StreamRequest { Control = new ControlUpdate { Seed = 6, GuidanceScale = 2 } });
        var c = await Frames.RoundTripAsync(call, new InputFrame { Sequence = 3 });

        Assert.Equal(16 * 16 * 3, a.Data.Length);
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
        // Pattern byte 0 is x + seed: the new seed is in effect.
        Assert.Equal(5, a.Data[0]);
        Assert.Equal(6, c.Data[0]);
        await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_raw_1024x1024_rgb_frame_fits_the_message_limits()
    {
        await using var host = await LoopbackHost.StartAsync();
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig(1024));
        using var _ = call;
        var frame = Frames.Raw(1024, 1024, 1, 3);
        var output = await Frames.RoundTripAsync(call, frame);
        Assert.Null(output.Error);
        Assert.Equal(1024 * 1024 * 3, output.Data.Length);
        Assert.Equal(Frames.ExpectedEcho(frame), output.Data.ToByteArray());

        // A live stream carries far more than Kestrel's default 30 MB request body limit.
        for (var i = 2UL; i <= 12; i++)
        {
            frame.Sequence = i;
            Assert.Null((await Frames.RoundTripAsync(call, frame)).Error);
        }

        var (_, final) = await Frames.CompleteAsync(call);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(12UL, final!.FramesOut);
    }
}
