using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>One input or output of an ONNX graph as the session metadata reports it.</summary>
/// <param name="Name">Tensor name, e.g. <c>encoder_hidden_states</c>.</param>
/// <param name="ElementType">Element type, e.g. Float or Float16.</param>
/// <param name="Dimensions">Static size per axis, −1 where the axis is symbolic.</param>
/// <param name="SymbolicDimensions">Symbolic name per axis ("batch_size"), empty where static.</param>
public sealed record OnnxTensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<int> Dimensions, IReadOnlyList<string> SymbolicDimensions)
{
    /// <summary>Number of axes (0 for a scalar).</summary>
    public int Rank => Dimensions.Count;

    /// <summary>Static size of an axis, or null when it is symbolic.</summary>
    public int? StaticDimension(int axis) => axis < Rank && Dimensions[axis] >= 0 ? Dimensions[axis] : null;

    /// <summary>Shape as text with symbolic names, e.g. <c>[batch_size,4,height,width]</c>.</summary>
    public string ShapeText => "[" + string.Join(",", Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : (string.IsNullOrEmpty(SymbolicDimensions[i]) ? "?" : SymbolicDimensions[i]))) + "]";

    /// <summary>Element type as ONNX spells it (float32, float16, int64...).</summary>
    public string ElementTypeText => ElementType switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Double => "float64",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        TensorElementType.BFloat16 => "bfloat16",
        _ => ElementType.ToString().ToLowerInvariant(),
    };

    public override string ToString() => $"{Name} {ElementTypeText} {ShapeText}";

    internal static OnnxTensorInfo From(string name, NodeMetadata metadata)
    {
        if (!metadata.IsTensor)
        {
            return new OnnxTensorInfo(name, TensorElementType.DataTypeMax, [], []);
        }

        var symbolic = metadata.SymbolicDimensions ?? new string[metadata.Dimensions.Length];
        return new OnnxTensorInfo(
            name,
            metadata.ElementDataType,
            metadata.Dimensions.ToArray(),
            symbolic.Select(s => s ?? string.Empty).ToArray());
    }
}
