using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>The JSON text messages of /ws/stream map onto the proto messages of the gRPC Stream call.</summary>
public sealed class WebSocketJsonTests
{
    [Fact]
    public void A_config_uses_the_proto_field_names_and_short_enum_names()
    {
        var config = WebSocketJson.ParseConfig("""
            {"type":"config","model":"sd","mode":"txt2img","width":512,"height":384,"prompt":"p","negative_prompt":"n",
             "prompts":[{"text":"a","weight":0.5}],"t_index_list":[20,40],"cfg_type":"full","guidance_scale":1.5,"delta":0.5,
             "seed":42,"similarity_filter":{"enabled":true,"threshold":0.9,"max_skip_frames":3},"output_encoding":"png","quality":70}
            """u8);
        var expected = new SessionConfig
        {
            Model = "sd",
            Mode = GenerationMode.Txt2Img,
            Width = 512,
            Height = 384,
            Prompt = "p",
            NegativePrompt = "n",
            CfgType = CfgType.Full,
            GuidanceScale = 1.5f,
            Delta = 0.5f,
            Seed = 42,
            SimilarityFilter = new SimilarityFilter { Enabled = true, Threshold = 0.9f, MaxSkipFrames = 3 },
            OutputEncoding = OutputEncoding.Png,
            Quality = 70,
        };
        expected.Prompts.Add(new WeightedPrompt { Text = "a", Weight = 0.5f });
        expected.TIndexList.Add([20, 40]);
        Assert.Equal(expected, config);
    }

    [Fact]
    public void An_empty_config_leaves_every_optional_field_unset_so_the_proto_defaults_apply()
    {
        var config = WebSocketJson.ParseConfig("{}"u8);
        Assert.Equal(new SessionConfig(), config);
        Assert.False(config.HasGuidanceScale);
        Assert.False(config.HasSeed);
    }

    [Fact]
    public void Full_enum_names_numbers_and_camel_case_names_are_accepted_too()
    {
        var config = WebSocketJson.ParseConfig("""{"cfgType":"CFG_TYPE_NONE","output_encoding":3,"guidanceScale":2}"""u8);
        Assert.Equal(CfgType.None, config.CfgType);
        Assert.Equal(OutputEncoding.Raw, config.OutputEncoding);
        Assert.Equal(2f, config.GuidanceScale);
    }

    [Fact]
    public void A_control_update_sets_only_what_it_names()
    {
        var control = WebSocketJson.ParseControl("""{"type":"control","prompt":"q","t_index_list":{"values":[10,30]}}"""u8);
        Assert.True(control.HasPrompt);
        Assert.Equal("q", control.Prompt);
        Assert.Equal([10, 30], control.TIndexList.Values);
        Assert.False(control.HasGuidanceScale);
        Assert.Null(control.SimilarityFilter);
    }

    [Theory]
    [InlineData("""{"colour":"red"}""", "config: ")]
    [InlineData("""[1,2]""", "config: must be a JSON object")]
    [InlineData("""{"width":"wide"}""", "config: ")]
    [InlineData("""{"type":"control"}""", "config.type: ")]
    [InlineData("""{"mode":"sideways"}""", "config: ")]
    [InlineData("""{""", "config: not valid JSON")]
    public void Bad_config_json_is_invalid_argument_naming_config(string json, string prefix)
    {
        var ex = Assert.Throws<RpcException>(() => WebSocketJson.ParseConfig(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(prefix, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_config_is_refused_as_a_control_message()
    {
        var ex = Assert.Throws<RpcException>(() => WebSocketJson.ParseControl("""{"type":"config","prompt":"x"}"""u8));
        Assert.StartsWith("control.type: ", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Close_reasons_are_cut_to_the_123_bytes_a_close_frame_carries()
    {
        Assert.Equal("session ended", WebSocketStreamEndpoint.CloseReason("session ended"));
        Assert.Equal(new string('x', 120) + "...", WebSocketStreamEndpoint.CloseReason(new string('x', 500)));
        var accented = WebSocketStreamEndpoint.CloseReason(new string('é', 100));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(accented) <= 123);
        Assert.Equal(new string('é', 60) + "...", accented);
    }
}
