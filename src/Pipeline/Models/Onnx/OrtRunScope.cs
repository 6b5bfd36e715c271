using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>
/// Holds the input tensors of one ONNX Run call. Input data is copied (or converted to the graph's
/// element type) into pooled arrays that are returned when the scope ends, so a steady stream of
/// calls does not allocate tensor-sized buffers.
/// </summary>
internal sealed class OrtRunScope : IDisposable
{
    private readonly List<OrtValue> _values = [];
    private readonly List<Action> _returns = [];

    public List<string> Names { get; } = [];

    public List<OrtValue> Values => _values;

    /// <summary>Adds a float tensor, converted to float16 when the graph wants it.</summary>
    public void AddFloats(OnnxTensorInfo input, ReadOnlySpan<float> data, long[] shape)
    {
        switch (input.ElementType)
        {
            case TensorElementType.Float:
                Add(input.Name, Rent<float>(data, shape, static (src, dst) => src.CopyTo(dst)));
                break;
            case TensorElementType.Float16:
                Add(input.Name, Rent<Float16>(data, shape, static (src, dst) => TensorPrimitives.ConvertToHalf(src, MemoryMarshal.Cast<Float16, Half>(dst))));
                break;
            default:
                throw new ModelPackException($"{input.Name}: element type {input.ElementTypeText} is not a float type");
        }
    }

    /// <summary>Adds token ids as int64 or int32, whichever the graph declares.</summary>
    public void AddIds(OnnxTensorInfo input, ReadOnlySpan<long> ids, long[] shape)
    {
        switch (input.ElementType)
        {
            case TensorElementType.Int64:
                Add(input.Name, Rent<long>(ids, shape, static (src, dst) => src.CopyTo(dst)));
                break;
            case TensorElementType.Int32:
                Add(input.Name, Rent<int>(ids, shape, static (src, dst) =>
                {
                    for (var i = 0; i < src.Length; i++)
                    {
                        dst[i] = checked((int)src[i]);
                    }
                }));
                break;
            default:
                throw new ModelPackException($"{input.Name}: element type {input.ElementTypeText} is not an integer type");
        }
    }

    /// <summary>Adds timesteps as float32, float16, int64 or int32, whichever the graph declares.</summary>
    public void AddTimesteps(OnnxTensorInfo input, ReadOnlySpan<float> timesteps, long[] shape)
    {
        switch (input.ElementType)
        {
            case TensorElementType.Float:
            case TensorElementType.Float16:
                AddFloats(input, timesteps, shape);
                break;
            case TensorElementType.Int64:
                Add(input.Name, Rent<float, long>(timesteps, shape, static (src, dst) =>
                {
                    for (var i = 0; i < src.Length; i++)
                    {
                        dst[i] = (long)MathF.Round(src[i]);
                    }
                }));
                break;
            case TensorElementType.Int32:
                Add(input.Name, Rent<float, int>(timesteps, shape, static (src, dst) =>
                {
                    for (var i = 0; i < src.Length; i++)
                    {
                        dst[i] = (int)MathF.Round(src[i]);
                    }
                }));
                break;
            default:
                throw new ModelPackException($"{input.Name}: element type {input.ElementTypeText} cannot carry a timestep");
        }
    }

    /// <summary>Copies a float32 or float16 output into <paramref name="destination"/> as float32.</summary>
    public static void CopyOut(OrtValue value, string name, Span<float> destination)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.ElementCount != destination.Length)
        {
            throw new ModelPackException($"{name}: output has {info.ElementCount} elements, expected {destination.Length}");
        }

        switch (info.ElementDataType)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().CopyTo(destination);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<Float16, Half>(value.GetTensorDataAsSpan<Float16>()), destination);
                break;
            default:
                throw new ModelPackException($"{name}: output element type {info.ElementDataType} is not float32 or float16");
        }
    }

    public void Dispose()
    {
        foreach (var value in _values)
        {
            value.Dispose();
        }

        foreach (var giveBack in _returns)
        {
            giveBack();
        }

        _values.Clear();
        _returns.Clear();
    }

    private void Add(string name, OrtValue value)
    {
        Names.Add(name);
        _values.Add(value);
    }

    private delegate void Fill<TSource, TTarget>(ReadOnlySpan<TSource> source, Span<TTarget> target);

    private OrtValue Rent<T>(ReadOnlySpan<float> data, long[] shape, Fill<float, T> fill)
        where T : unmanaged => Rent<float, T>(data, shape, fill);

    private OrtValue Rent<T>(ReadOnlySpan<long> data, long[] shape, Fill<long, T> fill)
        where T : unmanaged => Rent<long, T>(data, shape, fill);

    private OrtValue Rent<TSource, TTarget>(ReadOnlySpan<TSource> data, long[] shape, Fill<TSource, TTarget> fill)
        where TTarget : unmanaged
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"tensor of shape [{string.Join(",", shape)}] needs {count} values, got {data.Length}");
        }

        var array = ArrayPool<TTarget>.Shared.Rent(Math.Max(1, data.Length));
        _returns.Add(() => ArrayPool<TTarget>.Shared.Return(array));
        fill(data, array.AsSpan(0, data.Length));
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, array.AsMemory(0, data.Length), shape);
    }
}
