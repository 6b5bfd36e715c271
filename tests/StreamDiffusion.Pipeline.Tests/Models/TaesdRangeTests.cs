using System.Text.Json.Nodes;
using Google.Protobuf;
using Onnx;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>
/// The tiny autoencoder's pixel range (issue 13, point 3): an explicit image_range, the graph's own
/// rescaling (diffusers' x.add(1).div(2) / x.mul(2).sub(1)), the AutoencoderTiny config class, or a
/// configured override; <c>models inspect</c> says what was concluded and why.
/// </summary>
public sealed class TaesdRangeTests(SyntheticPackFixture packs) : IClassFixture<SyntheticPackFixture>
{
    private static SyntheticPackOptions TaesdPack => new() { ImageSize = 64, Taesd = true };

    [Fact]
    public void The_synthetic_pack_declares_zero_to_one()
    {
        var directory = packs.Get(TaesdPack);

        var (zeroToOne, reason) = TaesdRangeDetector.Detect(directory, TaesdImageRange.Auto);

        Assert.True(zeroToOne);
        Assert.Equal("taesd_encoder/config.json image_range", reason);
    }

    [Fact]
    public void An_AutoencoderTiny_config_without_a_range_means_minus_one_to_one_and_inspect_says_so()
    {
        var directory = packs.CopyOf(TaesdPack);
        RemoveImageRange(directory);

        var inspection = ModelPackInspection.Inspect(directory);
        using var pack = ModelPack.Load(directory);

        Assert.False(Assert.IsType<TaesdCodec>(pack.Codec).ImagesInZeroOne);
        var conclusions = inspection.Conclusions.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("taesd (images in [-1,1]: config class AutoencoderTiny (diffusers))", conclusions["codec"]);
    }

    [Fact]
    public void Configuration_overrides_the_pack()
    {
        var directory = packs.CopyOf(TaesdPack);
        RemoveImageRange(directory);

        using var pack = ModelPack.Load(directory, new ModelPackOptions { TaesdImageRange = TaesdImageRange.ZeroToOne });

        var codec = Assert.IsType<TaesdCodec>(pack.Codec);
        Assert.True(codec.ImagesInZeroOne);
        Assert.Equal("configured", codec.RangeReason);
    }

    [Fact]
    public void A_graph_that_rescales_its_input_or_output_is_read_as_minus_one_to_one()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("taesd_encoder"));
        Directory.CreateDirectory(temp.Combine("taesd_decoder"));
        var encoder = temp.Combine("taesd_encoder", "model.onnx");
        var decoder = temp.Combine("taesd_decoder", "model.onnx");

        // x.add(1).div(2) → identity layers (the encoder as diffusers exports it).
        Write(encoder, Graph("sample", "latents", ("Add", "sample", "one", "shifted"), ("Div", "shifted", "two", "scaled"), ("Identity", "scaled", null, "latents")));
        Write(decoder, Graph("latents", "image", ("Identity", "latents", null, "image")));
        Assert.True(TaesdRangeDetector.InputIsRescaled(encoder));
        Assert.Equal((false, "encoder graph rescales its input (Add 1, Div 2)"), TaesdRangeDetector.Detect(temp.Path, TaesdImageRange.Auto));

        // Only the decoder's x.mul(2).sub(1).
        Write(encoder, Graph("sample", "latents", ("Identity", "sample", null, "latents")));
        Write(decoder, Graph("latents", "image", ("Mul", "latents", "two", "doubled"), ("Sub", "doubled", "one", "image")));
        Assert.False(TaesdRangeDetector.InputIsRescaled(encoder));
        Assert.True(TaesdRangeDetector.OutputIsRescaled(decoder));
        Assert.Equal((false, "decoder graph rescales its output (Mul 2, Sub 1)"), TaesdRangeDetector.Detect(temp.Path, TaesdImageRange.Auto));

        // Neither, and no config: the original TAESD.
        Write(decoder, Graph("latents", "image", ("Identity", "latents", null, "image")));
        Assert.True(TaesdRangeDetector.Detect(temp.Path, TaesdImageRange.Auto).ZeroToOne);
    }

    private static void RemoveImageRange(string directory)
    {
        foreach (var part in new[] { "taesd_encoder", "taesd_decoder" })
        {
            var path = Path.Combine(directory, part, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.Equal("AutoencoderTiny", (string?)config["_class_name"]);
            Assert.True(config.Remove("image_range"));
            File.WriteAllText(path, config.ToJsonString());
        }
    }

    private static GraphProto Graph(string input, string output, params (string Op, string A, string? B, string Out)[] nodes)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(new ValueInfoProto { Name = input });
        graph.Output.Add(new ValueInfoProto { Name = output });
        graph.Initializer.Add(Scalar("one", 1f));
        graph.Initializer.Add(Scalar("two", 2f));
        foreach (var (op, a, b, result) in nodes)
        {
            var node = new NodeProto { OpType = op };
            node.Input.Add(a);
            if (b is not null)
            {
                node.Input.Add(b);
            }

            node.Output.Add(result);
            graph.Node.Add(node);
        }

        return graph;
    }

    private static TensorProto Scalar(string name, float value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        return tensor;
    }

    private static void Write(string path, GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        File.WriteAllBytes(path, model.ToByteArray());
    }
}
