using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Diffusion;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Tests.Diffusion;
using StreamDiffusion.StreamHost.Tests.Web;

namespace StreamDiffusion.StreamHost.Tests.LongVideo;

/// <summary>GenerateVideo and ControlVideo over real gRPC on loopback, on the synthetic image pack.</summary>
public sealed class GenerateVideoTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    private const int Size = 64;

    private static GenerateVideoRequest Request(params (ulong Start, string Text)[] prompts)
    {
        var request = new GenerateVideoRequest { Width = Size, Height = Size, NumPartitions = 2, CoherentTail = true };
        foreach (var (start, text) in prompts.Length == 0 ? [(0UL, "a red fox running through snow")] : prompts)
        {
            request.Prompts.Add(new PromptKeyframe { StartFrame = start, Text = text });
        }

        return request;
    }

    [Fact]
    public async Task Three_hundred_frames_stream_in_order_then_the_session_ends()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var request = Request();
        request.NumFrames = 300;
        using var call = host.Client.GenerateVideo(request);
        var index = 0UL;
        string? id = null;
        await foreach (var frame in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(index++, frame.Index);
            Assert.Equal(FrameFormat.Jpeg, frame.Format);
            Assert.Equal(Size, frame.Width);
            Assert.Equal("a red fox running through snow", frame.Prompt);
            id ??= frame.SessionId;
            Assert.Equal(id, frame.SessionId);
            if (index % 100 == 1)
            {
                using var decoded = Cv2.ImDecode(frame.Data.ToByteArray(), ImreadModes.Color);
                Assert.Equal(Size, decoded.Width);
            }
        }

        Assert.Equal(300UL, index);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(0, host.App.Services.GetRequiredService<SessionRegistry>().ActiveCount);
    }

    [Fact]
    public async Task Cancel_stops_the_work_within_an_iteration_and_frees_the_slot()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var registry = host.App.Services.GetRequiredService<SessionRegistry>();
        using var cts = new CancellationTokenSource();
        using var call = host.Client.GenerateVideo(Request(), cancellationToken: cts.Token);
        Assert.True(host.App.Services.GetRequiredService<ModelRuntimeRegistry>().TryGetLoaded("default", out var runtime));
        long perIteration = 0;
        for (int i = 0; i < 5; i++)
        {
            var before = runtime.Denoiser.GetStats().Items;
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            perIteration = Math.Max(perIteration, runtime.Denoiser.GetStats().Items - before);
        }

        Assert.Equal(1, registry.ActiveCount);
        var atCancel = runtime.Denoiser.GetStats().Items;
        await cts.CancelAsync();

        // The slot is free within a second.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (registry.ActiveCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, registry.ActiveCount);

        // The slot is given back at once while the iteration that was running may still finish in the background;
        // then the engine sees no more long-video work: the item count settles, at most an iteration or so on.
        long items;
        var settle = DateTime.UtcNow.AddSeconds(10);
        do
        {
            items = runtime.Denoiser.GetStats().Items;
            await Task.Delay(500);
        }
        while (runtime.Denoiser.GetStats().Items != items && DateTime.UtcNow < settle);

        await Task.Delay(500);
        Assert.Equal(items, runtime.Denoiser.GetStats().Items);
        Assert.True(items - atCancel <= 2 * Math.Max(perIteration, 1), $"{items - atCancel} items after the cancel; one iteration is {perIteration}");
    }

    [Fact]
    public async Task Two_long_videos_and_two_live_streams_share_one_model_all_progress_and_capacity_holds()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings("Limits:MaxSessions=4"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var videoA = host.Client.GenerateVideo(Request(), cancellationToken: cts.Token);
        using var videoB = host.Client.GenerateVideo(Request((0, "a green forest in the rain")), cancellationToken: cts.Token);
        var config = new SessionConfig { Width = Size, Height = Size, Prompt = "a watercolour city", OutputEncoding = OutputEncoding.Jpeg };
        var (liveA, _) = await Frames.OpenAsync(host.Client, config);
        var (liveB, _) = await Frames.OpenAsync(host.Client, config);
        using var a = liveA;
        using var b = liveB;

        async Task<int> Video(AsyncServerStreamingCall<VideoFrame> call)
        {
            var count = 0;
            while (count < 10 && await call.ResponseStream.MoveNext(cts.Token))
            {
                count++;
            }

            return count;
        }

        async Task<int> Live(AsyncDuplexStreamingCall<StreamRequest, StreamResponse> call)
        {
            for (var i = 0; i < 10; i++)
            {
                var output = await Frames.RoundTripAsync(call, Frames.Raw(Size, Size, (ulong)i, i));
                Assert.Null(output.Error);
            }

            return 10;
        }

        var counts = await Task.WhenAll(Video(videoA), Video(videoB), Live(liveA), Live(liveB));
        Assert.All(counts, c => Assert.Equal(10, c));

        // A fifth session, of either kind, is refused.
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var fifth = host.Client.GenerateVideo(Request());
            await fifth.ResponseStream.MoveNext(cts.Token);
        });
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task Session_is_listed_with_mjpeg_output_and_a_live_prompt_change_reaches_the_head_within_the_queue()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var call = host.Client.GenerateVideo(Request(), cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var id = call.ResponseStream.Current.SessionId;

        var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        var session = list.GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id);
        Assert.Equal("text_to_video", session.GetProperty("mode").GetString());

        using (var response = await host.Http.GetAsync(new Uri($"/sessions/{id}/mjpeg", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cts.Token))
        {
            var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!;
            var reader = new MjpegPartReader(await response.Content.ReadAsStreamAsync(cts.Token), boundary);
            var part = await reader.NextAsync(cts.Token);
            Assert.Equal("image/jpeg", part!.Value.ContentType);
        }

        var control = await host.Client.ControlVideoAsync(new VideoControlRequest { SessionId = id, Prompt = "a deep blue ocean at night" });
        Assert.Equal(16u, control.ArrivalFrames);
        var changeAt = control.AppliesFromFrame;
        ulong? arrived = null;
        while (arrived is null && await call.ResponseStream.MoveNext(cts.Token))
        {
            var frame = call.ResponseStream.Current;
            if (frame.Prompt == "a deep blue ocean at night")
            {
                arrived = frame.Index;
            }

            Assert.True(frame.Index <= changeAt + control.ArrivalFrames, $"frame {frame.Index} still shows the old prompt");
        }

        Assert.NotNull(arrived);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await host.Client.ControlVideoAsync(new VideoControlRequest { SessionId = "nope", Prompt = "x" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.StartsWith("session_id", missing.Status.Detail, StringComparison.Ordinal);
        await cts.CancelAsync();
    }

    public static TheoryData<string, StatusCode, string> BadRequests => new()
    {
        { "no-prompts", StatusCode.InvalidArgument, "prompts" },
        { "first-not-zero", StatusCode.InvalidArgument, "prompts[0].start_frame" },
        { "out-of-order", StatusCode.InvalidArgument, "prompts[2].start_frame" },
        { "partitions-zero", StatusCode.InvalidArgument, "num_partitions" },
        { "partitions-negative", StatusCode.InvalidArgument, "num_partitions" },
        { "partitions-huge", StatusCode.InvalidArgument, "num_partitions" },
        { "size-not-multiple", StatusCode.InvalidArgument, "width" },
        { "unknown-model", StatusCode.NotFound, "model 'no-such-model'" },
        { "sampler-unknown", StatusCode.InvalidArgument, "sampler" },
        { "guidance-step-zero", StatusCode.InvalidArgument, "subject_guidance_step" },
        { "guidance-step-above-one", StatusCode.InvalidArgument, "subject_guidance_step" },
        { "guidance-step-nan", StatusCode.InvalidArgument, "subject_guidance_step" },
        { "guidance-step-without-guidance", StatusCode.InvalidArgument, "subject_guidance_step" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_are_refused_naming_the_field_and_the_host_keeps_serving(string name, StatusCode status, string field)
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var request = name switch
        {
            "no-prompts" => new GenerateVideoRequest(),
            "first-not-zero" => Request((3, "a")),
            "out-of-order" => Request((0, "a"), (10, "b"), (5, "c")),
            "partitions-zero" => Mutate(Request(), r => r.NumPartitions = 0),
            "partitions-negative" => Request() is var r1 ? Mutate(r1, r => r.NumPartitions = -1) : null!,
            "partitions-huge" => Request() is var r2 ? Mutate(r2, r => r.NumPartitions = 100000) : null!,
            "size-not-multiple" => Request() is var r3 ? Mutate(r3, r => r.Width = 100) : null!,
            "sampler-unknown" => Mutate(Request(), r => r.Sampler = (VideoSampler)7),
            "guidance-step-zero" => Mutate(Request(), r => (r.SubjectGuidance, r.SubjectGuidanceStep) = (true, 0)),
            "guidance-step-above-one" => Mutate(Request(), r => (r.SubjectGuidance, r.SubjectGuidanceStep) = (true, 1.5f)),
            "guidance-step-nan" => Mutate(Request(), r => (r.SubjectGuidance, r.SubjectGuidanceStep) = (true, float.NaN)),
            "guidance-step-without-guidance" => Mutate(Request(), r => r.SubjectGuidanceStep = 0.1f),
            _ => Request() is var r4 ? Mutate(r4, r => r.Model = "no-such-model") : null!,
        };
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = host.Client.GenerateVideo(request);
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(status, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);

        // Still serving.
        var good = Request();
        good.NumFrames = 2;
        using var ok = host.Client.GenerateVideo(good);
        Assert.Equal(2, await ok.ResponseStream.ReadAllAsync().CountAsync());
    }

    [Fact]
    public async Task Sampler_and_subject_guidance_fields_reach_the_pipeline()
    {
        // Same seed and prompt: the default request is deterministic; the LCM sampler changes every frame, guidance
        // changes the frames once the bank has formed (the noisier half of the L = 16 queue is guided from frame 1 on,
        // so the frames leaving the head after about L/2 iterations differ).
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());

        async Task<List<byte[]>> Frames(Action<GenerateVideoRequest> change)
        {
            var request = Request();
            request.NumFrames = 14;
            request.OutputEncoding = OutputEncoding.Raw;
            change(request);
            using var call = host.Client.GenerateVideo(request);
            return await call.ResponseStream.ReadAllAsync().Select(f => f.Data.ToByteArray()).ToListAsync();
        }

        var plain = await Frames(_ => { });
        var again = await Frames(r => r.Sampler = VideoSampler.Ddim);
        var lcm = await Frames(r => r.Sampler = VideoSampler.Lcm);
        var guided = await Frames(r => (r.SubjectGuidance, r.SubjectGuidanceStep) = (true, 0.5f));

        Assert.Equal(plain, again);
        Assert.NotEqual(plain[0], lcm[0]);
        Assert.Equal(plain[0], guided[0]);
        Assert.NotEqual(plain[^1], guided[^1]);
    }

    private static GenerateVideoRequest Mutate(GenerateVideoRequest request, Action<GenerateVideoRequest> change)
    {
        change(request);
        return request;
    }
}
