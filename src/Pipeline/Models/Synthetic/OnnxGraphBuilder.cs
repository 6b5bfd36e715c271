using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// Small helper over the ONNX protobuf classes that keeps the synthetic graphs readable:
/// one call per node, generated names for intermediates, typed constants as initializers.
/// Produces opset 17 (default domain), IR version 8 models, which every ONNX Runtime we target loads.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>Default-domain opset the synthetic graphs are written against.</summary>
    public const int Opset = 17;

    /// <summary>IR version matching opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    private readonly GraphProto _graph;
    private int _counter;

    public OnnxGraphBuilder(string graphName)
    {
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Declares a graph input. Dims are <see cref="int"/>/<see cref="long"/> values or symbolic names.</summary>
    public string Input(string name, TensorProto.Types.DataType elementType, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, elementType, dims));
        return name;
    }

    /// <summary>Declares a graph output produced by an existing value, renaming it through Identity.</summary>
    public void Output(string name, string value, TensorProto.Types.DataType elementType, params object[] dims)
    {
        NodeTo(name, "Identity", [value]);
        _graph.Output.Add(ValueInfo(name, elementType, dims));
    }

    /// <summary>Adds a float32 initializer and returns its name.</summary>
    public string Floats(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = RawBytes(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an int64 initializer and returns its name.</summary>
    public string Int64s(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        CheckCount(name, values.Length, dims);
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.RawData = RawBytes(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A 0-d float32 constant.</summary>
    public string Scalar(float value) => Floats("c_" + value.ToString("R", CultureInfo.InvariantCulture), [value]);

    /// <summary>A 1-d int64 constant, typically a shape or an axes list.</summary>
    public string Longs(params long[] values) => Int64s("shape", values, values.Length);

    /// <summary>Adds a node with one generated output and returns the output name.</summary>
    public string Node(string opType, string[] inputs, params (string Name, object Value)[] attributes)
        => NodeTo(Unique(opType.ToLowerInvariant()), opType, inputs, attributes);

    /// <summary>Adds a node whose single output has the given name.</summary>
    public string NodeTo(string output, string opType, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique("n_" + opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attrName, value) in attributes)
        {
            node.Attribute.Add(Attribute(attrName, value));
        }

        _graph.Node.Add(node);
        return output;
    }

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Sub(string a, string b) => Node("Sub", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Div(string a, string b) => Node("Div", [a, b]);

    public string Cast(string x, TensorProto.Types.DataType to) => Node("Cast", [x], ("to", (long)to));

    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Longs(shape)]);

    /// <summary>Wraps the graph in a model with the opset and IR version above.</summary>
    public ModelProto Build(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "StreamDiffusion.Net SyntheticPackWriter",
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    private string Unique(string stem) => string.Create(CultureInfo.InvariantCulture, $"{stem}_{_counter++}");

    private static void CheckCount(string name, int count, long[] dims)
    {
        long expected = 1;
        foreach (var d in dims)
        {
            expected *= d;
        }

        if (expected != count)
        {
            throw new ArgumentException($"Initializer '{name}' has {count} values but dims [{string.Join(",", dims)}].");
        }
    }

    private static ByteString RawBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        // ONNX raw_data is little-endian; every platform we run on is.
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Synthetic packs are written on little-endian machines only.");
        }

        return ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                long value => new TensorShapeProto.Types.Dimension { DimValue = value },
                _ => throw new ArgumentException($"Unsupported dim {dim} for '{name}'."),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var attribute = new AttributeProto { Name = name };
        switch (value)
        {
            case int i:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = i;
                break;
            case long l:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = l;
                break;
            case float f:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = f;
                break;
            case string s:
                attribute.Type = AttributeProto.Types.AttributeType.String;
                attribute.S = ByteString.CopyFromUtf8(s);
                break;
            case long[] ls:
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.AddRange(ls);
                break;
            case float[] fs:
                attribute.Type = AttributeProto.Types.AttributeType.Floats;
                attribute.Floats.AddRange(fs);
                break;
            default:
                throw new ArgumentException($"Unsupported attribute type {value.GetType()} for '{name}'.");
        }

        return attribute;
    }
}
