using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests;

public sealed class SessionSettingsValidatorTests
{
    private static readonly ModelDescriptor s_model = new("turbo", "/packs/turbo", "CPU", 512, IsDefault: true);
    private static readonly LimitsOptions s_limits = new();

    [Fact]
    public void An_empty_config_gets_every_default()
    {
        var s = SessionSettingsValidator.FromConfig(new SessionConfig(), s_model, s_limits);
        Assert.Equal("turbo", s.Model);
        Assert.Equal(GenerationMode.Img2Img, s.Mode);
        Assert.Equal((512, 512), (s.Width, s.Height));
        Assert.Equal([32, 45], s.TIndexList);
        Assert.Equal(CfgType.Self, s.CfgType);
        Assert.Equal(1.2f, s.GuidanceScale);
        Assert.Equal(1.0f, s.Delta);
        Assert.Equal(2, s.Seed);
        Assert.False(s.Filter.Enabled);
        Assert.Equal(0.98f, s.Filter.Threshold);
        Assert.Equal(10, s.Filter.MaxSkipFrames);
        Assert.Equal(OutputEncoding.Jpeg, s.OutputEncoding);
        Assert.Equal(90, s.Quality);
    }

    [Fact]
    public void Explicit_zero_guidance_and_delta_are_kept_not_defaulted()
    {
        var s = SessionSettingsValidator.FromConfig(new SessionConfig { GuidanceScale = 0, Delta = 0, Seed = 0 }, s_model, s_limits);
        Assert.Equal(0f, s.GuidanceScale);
        Assert.Equal(0f, s.Delta);
        Assert.Equal(0, s.Seed);
    }

    [Fact]
    public void A_control_changes_only_the_fields_it_sets()
    {
        var config = new SessionConfig { Prompt = "a", NegativePrompt = "n", Seed = 7, Width = 256, Height = 128 };
        config.TIndexList.Add([20, 30, 40]);
        var before = SessionSettingsValidator.FromConfig(config, s_model, s_limits);

        var control = new ControlUpdate
        {
            GuidanceScale = 3,
            Prompts = new WeightedPrompts { Items = { new WeightedPrompt { Text = "x", Weight = 1 }, new WeightedPrompt { Text = "y", Weight = 3 } } },
            SimilarityFilter = new SimilarityFilter { Enabled = true },
        };
        var after = SessionSettingsValidator.ApplyControl(before, control);

        Assert.NotSame(before, after);
        Assert.Equal("a", before.Prompt);
        Assert.Equal(string.Empty, after.Prompt); // a blend replaces the single prompt
        Assert.Equal(3f, after.GuidanceScale);
        Assert.Equal([new PromptWeight("x", 1), new PromptWeight("y", 3)], after.Prompts);
        Assert.True(after.Filter.Enabled);
        Assert.Equal("n", after.NegativePrompt);
        Assert.Equal(7, after.Seed);
        Assert.Equal([20, 30, 40], after.TIndexList);
        Assert.Equal((256, 128), (after.Width, after.Height));
        Assert.Same(before, SessionSettingsValidator.ApplyControl(before, new ControlUpdate()));
    }

    [Theory]
    [InlineData(new[] { 0 }, true)]
    [InlineData(new[] { 49 }, true)]
    [InlineData(new[] { 0, 10, 20, 30, 35, 40, 45, 49 }, true)]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8 }, false)]
    [InlineData(new[] { 45, 32 }, false)]
    [InlineData(new[] { 50 }, false)]
    public void Timestep_index_lists_are_checked(int[] values, bool valid)
    {
        var config = new SessionConfig();
        config.TIndexList.Add(values);
        if (valid)
        {
            Assert.Equal(values, SessionSettingsValidator.FromConfig(config, s_model, s_limits).TIndexList);
        }
        else
        {
            var ex = Assert.Throws<RpcException>(() => SessionSettingsValidator.FromConfig(config, s_model, s_limits));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith("config.t_index_list:", ex.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Frame_checks_accept_real_signatures_and_padded_rows()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0];
        Assert.Null(FrameValidator.Validate(new InputFrame { Format = FrameFormat.Png, Data = ByteString.CopyFrom(png) }, GenerationMode.Img2Img, s_limits));
        Assert.Null(FrameValidator.Validate(new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFrom(jpeg) }, GenerationMode.Img2Img, s_limits));
        Assert.Null(FrameValidator.Validate(Frames.Raw(5, 3, 0, 0, FrameFormat.Bgr24, stride: 16), GenerationMode.Img2Img, s_limits));
        Assert.Null(FrameValidator.Validate(new InputFrame(), GenerationMode.Txt2Img, s_limits));
        Assert.Equal("frame.data: empty", FrameValidator.Validate(new InputFrame(), GenerationMode.Img2Img, s_limits));
        var big = new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFrom(new byte[s_limits.MaxFrameBytes + 1]) };
        Assert.StartsWith("frame.data: 4194305 bytes, at most 4194304", FrameValidator.Validate(big, GenerationMode.Img2Img, s_limits), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Echo_converts_padded_bgr_to_packed_inverted_rgb()
    {
        var settings = SessionSettingsValidator.FromConfig(new SessionConfig(), s_model, s_limits);
        await using var echo = new EchoStreamProcessor(settings);
        var frame = Frames.Raw(2, 2, 0, 1, FrameFormat.Bgr24, stride: 8);
        var d = frame.Data.ToByteArray();
        var result = await echo.ProcessAsync(new FrameInput(d, FrameFormat.Bgr24, 2, 2, 8, 0), CancellationToken.None);
        Assert.Equal(FrameFormat.Rgb24, result.Format);
        byte[] expected =
        [
            (byte)(255 - d[2]), (byte)(255 - d[1]), (byte)(255 - d[0]), (byte)(255 - d[5]), (byte)(255 - d[4]), (byte)(255 - d[3]),
            (byte)(255 - d[10]), (byte)(255 - d[9]), (byte)(255 - d[8]), (byte)(255 - d[13]), (byte)(255 - d[12]), (byte)(255 - d[11]),
        ];
        Assert.Equal(expected, result.Data.ToArray());
    }
}
