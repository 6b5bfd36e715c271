using System.Runtime.InteropServices;
using System.Text.Json;
using Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// Decides whether a pack's tiny autoencoder works on [0, 1] or [−1, 1] images, in this order: the
/// configured <see cref="ModelPackOptions.TaesdImageRange"/>; an <c>image_range</c> key in a TAESD
/// config.json; the graphs (diffusers' <c>AutoencoderTiny</c> rescales with <c>x.add(1).div(2)</c> at the
/// encoder input and <c>x.mul(2).sub(1)</c> at the decoder output, which an export keeps as Add(1)→Div(2)
/// and Mul(2)→Sub(1)); a config whose <c>_class_name</c> is <c>AutoencoderTiny</c> (diffusers' class,
/// which takes [−1, 1]); otherwise [0, 1], the original TAESD.
/// </summary>
public static class TaesdRangeDetector
{
    /// <summary>The range and the evidence it was concluded from.</summary>
    public static (bool ZeroToOne, string Reason) Detect(string packDirectory, TaesdImageRange configured)
    {
        if (configured != TaesdImageRange.Auto)
        {
            return (configured == TaesdImageRange.ZeroToOne, "configured");
        }

        string? className = null;
        foreach (var part in new[] { "taesd_encoder", "taesd_decoder" })
        {
            var path = Path.Combine(packDirectory, part, "config.json");
            if (!File.Exists(path))
            {
                continue;
            }

            using var document = ParseJson(path);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (root.TryGetProperty("image_range", out var range))
            {
                return range.ToString().Replace(" ", string.Empty, StringComparison.Ordinal) switch
                {
                    "[0,1]" or "0,1" => (true, $"{part}/config.json image_range"),
                    "[-1,1]" or "-1,1" => (false, $"{part}/config.json image_range"),
                    _ => throw new ModelPackException($"{path}: 'image_range' must be \"[0,1]\" or \"[-1,1]\", found {range}"),
                };
            }

            if (root.TryGetProperty("_class_name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                className ??= name.GetString();
            }
        }

        var encoder = Path.Combine(packDirectory, "taesd_encoder", "model.onnx");
        if (File.Exists(encoder) && InputIsRescaled(encoder))
        {
            return (false, "encoder graph rescales its input (Add 1, Div 2)");
        }

        var decoder = Path.Combine(packDirectory, "taesd_decoder", "model.onnx");
        if (File.Exists(decoder) && OutputIsRescaled(decoder))
        {
            return (false, "decoder graph rescales its output (Mul 2, Sub 1)");
        }

        if (string.Equals(className, "AutoencoderTiny", StringComparison.Ordinal))
        {
            return (false, "config class AutoencoderTiny (diffusers)");
        }

        return (true, "no range in config or graph: original TAESD");
    }

    /// <summary>True when the graph's first input goes through Add(1) and then Div(2) or Mul(0.5).</summary>
    public static bool InputIsRescaled(string onnxFile)
    {
        var graph = Load(onnxFile);
        var constants = Constants(graph);
        var input = graph.Input.Select(i => i.Name).FirstOrDefault(n => !constants.ContainsKey(n));
        if (input is null)
        {
            return false;
        }

        foreach (var add in graph.Node.Where(n => n.OpType == "Add" && Operand(n, input, constants) is 1f))
        {
            var shifted = add.Output[0];
            if (graph.Node.Any(n => (n.OpType == "Div" && n.Input.Count == 2 && n.Input[0] == shifted && Value(n.Input[1], constants) is 2f)
                || (n.OpType == "Mul" && Operand(n, shifted, constants) is 0.5f)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the graph's first output comes from Sub(·, 1) or Add(·, −1) over Mul(·, 2).</summary>
    public static bool OutputIsRescaled(string onnxFile)
    {
        var graph = Load(onnxFile);
        var constants = Constants(graph);
        var output = graph.Output.FirstOrDefault()?.Name;
        var last = graph.Node.FirstOrDefault(n => n.Output.Contains(output));
        if (last is null || last.Input.Count != 2)
        {
            return false;
        }

        var shifted = (last.OpType == "Sub" && Value(last.Input[1], constants) is 1f) || (last.OpType == "Add" && (Value(last.Input[1], constants) is -1f || Value(last.Input[0], constants) is -1f));
        if (!shifted)
        {
            return false;
        }

        var scaled = last.Input.FirstOrDefault(i => !constants.ContainsKey(i));
        var mul = graph.Node.FirstOrDefault(n => n.Output.Contains(scaled));
        return mul is not null && mul.OpType == "Mul" && mul.Input.Any(i => Value(i, constants) is 2f);
    }

    private static GraphProto Load(string onnxFile)
    {
        try
        {
            using var stream = File.OpenRead(onnxFile);
            return ModelProto.Parser.ParseFrom(stream).Graph ?? new GraphProto();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new ModelPackException($"{onnxFile}: not a readable ONNX model ({ex.Message})", ex);
        }
    }

    /// <summary>Scalar float constants by name: initializers and Constant nodes with one element.</summary>
    private static Dictionary<string, float> Constants(GraphProto graph)
    {
        var constants = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            if (Scalar(tensor) is { } value)
            {
                constants[tensor.Name] = value;
            }
        }

        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
        {
            var attribute = node.Attribute.FirstOrDefault(a => a.Name == "value");
            if (attribute?.T is { } tensor && Scalar(tensor) is { } value)
            {
                constants[node.Output[0]] = value;
            }
        }

        return constants;
    }

    private static float? Scalar(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float || tensor.Dims.Aggregate(1L, (a, d) => a * d) != 1)
        {
            return null;
        }

        if (tensor.FloatData.Count == 1)
        {
            return tensor.FloatData[0];
        }

        return tensor.RawData.Length == sizeof(float) ? MemoryMarshal.Read<float>(tensor.RawData.Span) : null;
    }

    private static float? Value(string name, Dictionary<string, float> constants) => constants.TryGetValue(name, out var value) ? value : null;

    /// <summary>For a binary node with <paramref name="input"/> as one operand, the other operand's constant value.</summary>
    private static float? Operand(NodeProto node, string input, Dictionary<string, float> constants)
    {
        if (node.Input.Count != 2)
        {
            return null;
        }

        return node.Input[0] == input ? Value(node.Input[1], constants) : node.Input[1] == input ? Value(node.Input[0], constants) : null;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new ModelPackException($"{path}: not valid JSON ({ex.Message})", ex);
        }
    }
}
