using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests;

/// <summary>One host for all bad inputs: after each, the same host must still serve a good stream.</summary>
public sealed class ValidationTests : IAsyncLifetime
{
    private LoopbackHost _host = null!;

    public static TheoryData<string, string> BadConfigs => new()
    {
        { "guidance_scale=25", "config.guidance_scale" },
        { "guidance_scale=-1", "config.guidance_scale" },
        { "delta=1.5", "config.delta" },
        { "t_index=50", "config.t_index_list" },
        { "t_index=-1", "config.t_index_list" },
        { "t_index=45,32", "config.t_index_list" },
        { "t_index=10,10", "config.t_index_list" },
        { "width=100", "config.width" },
        { "height=2048", "config.height" },
        { "quality=101", "config.quality" },
        { "threshold=1.5", "config.similarity_filter.threshold" },
        { "max_skip=-1", "config.similarity_filter.max_skip_frames" },
        { "weights=0", "config.prompts" },
        { "cfg=9", "config.cfg_type" },
    };

    public async Task InitializeAsync() =>
        _host = await LoopbackHost.StartAsync(null, "Limits:MaxConsecutiveBadFrames=3", "Limits:MaxSessions=2");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task An_out_of_range_config_is_invalid_argument_naming_the_field(string change, string field)
    {
        var config = Frames.RawConfig();
        var (key, value) = (change.Split('=')[0], change.Split('=')[1]);
        switch (key)
        {
            case "guidance_scale":
                config.GuidanceScale = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "delta":
                config.Delta = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "t_index":
                config.TIndexList.Add(value.Split(',').Select(int.Parse));
                break;
            case "width":
                config.Width = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "height":
                config.Height = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "quality":
                config.Quality = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "threshold":
                config.SimilarityFilter = new SimilarityFilter { Enabled = true, Threshold = 1.5f };
                break;
            case "max_skip":
                config.SimilarityFilter = new SimilarityFilter { Enabled = true, MaxSkipFrames = -1 };
                break;
            case "weights":
                config.Prompts.Add([new WeightedPrompt { Text = "a", Weight = 0 }, new WeightedPrompt { Text = "b", Weight = 0 }]);
                break;
            case "cfg":
                config.CfgType = (CfgType)9;
                break;
            default:
                throw new ArgumentException(change);
        }

        var status = await FailingStreamAsync(Frames.Config(config));
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.StartsWith(field + ":", status.Detail, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Wrong_field_combinations_are_invalid_argument_naming_the_field()
    {
        var both = Frames.RawConfig();
        both.Prompt = "a cat";
        both.Prompts.Add(new WeightedPrompt { Text = "a dog", Weight = 1 });
        var widthOnly = Frames.RawConfig();
        widthOnly.Height = 0;
        foreach (var (config, field) in new[] { (both, "config.prompts"), (widthOnly, "config.height") })
        {
            using var call = _host.Client.Stream();
            await call.RequestStream.WriteAsync(Frames.Config(config));
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
        }

        var (stream, _) = await Frames.OpenAsync(_host.Client, Frames.RawConfig());
        using (stream)
        {
            var control = new ControlUpdate { Prompt = "a cat", Prompts = new WeightedPrompts() };
            control.Prompts.Items.Add(new WeightedPrompt { Text = "a dog", Weight = 1 });
            await stream.RequestStream.WriteAsync(new StreamRequest { Control = control });
            var error = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await stream.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            });
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith("control.prompts", error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_control_prompt_replaces_a_weighted_blend_and_a_blend_replaces_a_prompt()
    {
        var settings = new SessionSettings { Model = "m", Prompts = [new PromptWeight("a", 1), new PromptWeight("b", 1)] };
        var single = SessionSettingsValidator.ApplyControl(settings, new ControlUpdate { Prompt = "c" });
        Assert.Equal("c", single.Prompt);
        Assert.Empty(single.Prompts);
        var blend = new ControlUpdate { Prompts = new WeightedPrompts() };
        blend.Prompts.Items.Add(new WeightedPrompt { Text = "d", Weight = 2 });
        var blended = SessionSettingsValidator.ApplyControl(single, blend);
        Assert.Equal(string.Empty, blended.Prompt);
        Assert.Single(blended.Prompts);
    }

    [Fact]
    public async Task A_frame_before_the_config_is_failed_precondition()
    {
        var status = await FailingStreamAsync(Frames.Request(Frames.Raw(8, 8, 1, 1)));
        Assert.Equal(StatusCode.FailedPrecondition, status.StatusCode);
        Assert.Contains("SessionConfig", status.Detail, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_unknown_model_is_not_found()
    {
        var config = Frames.RawConfig();
        config.Model = "no-such-model";
        var status = await FailingStreamAsync(Frames.Config(config));
        Assert.Equal(StatusCode.NotFound, status.StatusCode);
        Assert.Contains("no-such-model", status.Detail, StringComparison.Ordinal);
        Assert.Contains("default", status.Detail, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Bad_frames_fail_alone_and_the_stream_goes_on()
    {
        var (call, _) = await Frames.OpenAsync(_host.Client, Frames.RawConfig());
        using (call)
        {
            var shortRaw = Frames.Raw(8, 8, 1, 1);
            shortRaw.Data = ByteString.CopyFrom(new byte[100]);
            var badStride = Frames.Raw(8, 8, 3, 1);
            badStride.Stride = 20;
            var notJpeg = new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFromUtf8("hello"), Sequence = 5 };
            var tooWide = Frames.Raw(1032, 1, 7, 1);
            var noFormat = new InputFrame { Data = ByteString.CopyFromUtf8("x"), Sequence = 9 };

            (InputFrame Frame, string Message)[] cases =
            [
                (shortRaw, "frame.data: 100 bytes, expected stride * height = 24 * 8 = 192"),
                (badStride, "frame.stride: 20 is less than 3 * width = 24"),
                (notJpeg, "frame.data: not a JPEG file"),
                (tooWide, "frame.width: 1032 is outside 1..1024"),
                (noFormat, "frame.format"),
            ];
            ulong good = 100;
            foreach (var (frame, message) in cases)
            {
                var failed = await Frames.RoundTripAsync(call, frame);
                Assert.Equal(frame.Sequence, failed.Sequence);
                Assert.Equal((int)StatusCode.InvalidArgument, failed.Error.Code);
                Assert.StartsWith(message, failed.Error.Message, StringComparison.Ordinal);
                Assert.True(failed.Data.IsEmpty);

                var ok = Frames.Raw(8, 8, good++, 4);
                Assert.Equal(Frames.ExpectedEcho(ok), (await Frames.RoundTripAsync(call, ok)).Data.ToByteArray());
            }

            var (_, final) = await Frames.CompleteAsync(call);
            Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
            Assert.Equal(5UL, final!.FramesFailed);
            Assert.Equal(5UL, final.FramesOut);
        }
    }

    [Fact]
    public async Task Consecutive_bad_frames_end_the_stream_with_invalid_argument()
    {
        var (call, _) = await Frames.OpenAsync(_host.Client, Frames.RawConfig());
        using (call)
        {
            var bad = Frames.Raw(8, 8, 1, 1);
            bad.Width = 9;
            Assert.NotNull((await Frames.RoundTripAsync(call, bad)).Error);
            Assert.NotNull((await Frames.RoundTripAsync(call, bad)).Error);
            await call.RequestStream.WriteAsync(Frames.Request(bad));
            var ex = await Assert.ThrowsAsync<RpcException>(() => Frames.NextFrameAsync(call.ResponseStream));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith("3 invalid frames in a row", ex.Status.Detail, StringComparison.Ordinal);
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_bad_control_or_a_second_config_ends_the_stream_with_invalid_argument()
    {
        var (call, _) = await Frames.OpenAsync(_host.Client, Frames.RawConfig());
        using (call)
        {
            await call.RequestStream.WriteAsync(new StreamRequest { Control = new ControlUpdate { TIndexList = new TIndexList { Values = { 20, 60 } } } });
            var ex = await Assert.ThrowsAsync<RpcException>(() => Frames.NextFrameAsync(call.ResponseStream));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith("control.t_index_list:", ex.Status.Detail, StringComparison.Ordinal);
        }

        var (again, _) = await Frames.OpenAsync(_host.Client, Frames.RawConfig());
        using (again)
        {
            await again.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
            var ex = await Assert.ThrowsAsync<RpcException>(() => Frames.NextFrameAsync(again.ResponseStream));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith("config:", ex.Status.Detail, StringComparison.Ordinal);
        }

        await AssertStillServingAsync();
    }

    private async Task<Status> FailingStreamAsync(StreamRequest first)
    {
        using var call = _host.Client.Stream();
        await call.RequestStream.WriteAsync(first);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        return ex.Status;
    }

    private async Task AssertStillServingAsync()
    {
        var (call, _) = await Frames.OpenAsync(_host.Client, Frames.RawConfig());
        using (call)
        {
            var frame = Frames.Raw(8, 8, 1, 42);
            Assert.Equal(Frames.ExpectedEcho(frame), (await Frames.RoundTripAsync(call, frame)).Data.ToByteArray());
            await Frames.CompleteAsync(call);
            Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        }
    }
}
