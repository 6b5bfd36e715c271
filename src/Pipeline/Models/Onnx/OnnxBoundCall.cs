using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>
/// One call shape of one session with its inputs and outputs bound once (ONNX Runtime's
/// <see cref="OrtIoBinding"/>) to values over <see cref="PinnedBuffer{T}"/>s: <see cref="Run"/>
/// creates no tensors and copies nothing, the session reads the input buffers and writes the output
/// buffers in place. Not thread-safe: one caller (an engine worker) owns it.
/// </summary>
/// <remarks>
/// The values are described by <see cref="OnnxModel.BindingMemory"/>: CPU memory here. On CUDA the
/// same code binds device buffers by passing the device's memory info and device addresses; nothing
/// else changes. Host buffers bound to a CUDA session also work (the runtime copies them).
/// </remarks>
public sealed class OnnxBoundCall : IDisposable
{
    private readonly OnnxModel _model;
    private readonly OrtIoBinding _binding;
    private readonly List<OrtValue> _values = [];

    // The values point into these buffers' memory: keep them reachable as long as the values.
    private readonly List<object> _buffers = [];
    private bool _disposed;

    internal OnnxBoundCall(OnnxModel model)
    {
        _model = model;
        _binding = model.Session.CreateIoBinding();
    }

    /// <summary>Binds the first elements of <paramref name="buffer"/> as input <paramref name="name"/> of <paramref name="shape"/>.</summary>
    internal void BindInput<T>(string name, PinnedBuffer<T> buffer, long[] shape)
        where T : unmanaged => _binding.BindInput(name, Create(buffer, shape));

    /// <summary>Binds the first elements of <paramref name="buffer"/> as output <paramref name="name"/> of <paramref name="shape"/>.</summary>
    internal void BindOutput<T>(string name, PinnedBuffer<T> buffer, long[] shape)
        where T : unmanaged => _binding.BindOutput(name, Create(buffer, shape));

    /// <summary>Runs the session on the bound buffers.</summary>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _model.RunBound(_binding);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _binding.Dispose();
            foreach (var value in _values)
            {
                value.Dispose();
            }

            _values.Clear();
            _buffers.Clear();
        }
    }

    private unsafe OrtValue Create<T>(PinnedBuffer<T> buffer, long[] shape)
        where T : unmanaged
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        if (count > buffer.Length)
        {
            throw new ArgumentException($"a tensor of shape [{string.Join(",", shape)}] needs {count} elements; the buffer holds {buffer.Length}");
        }

        var value = OrtValue.CreateTensorValueWithData(_model.BindingMemory, ElementType<T>(), shape, buffer.Address, count * sizeof(T));
        _values.Add(value);
        _buffers.Add(buffer);
        return value;
    }

    private static TensorElementType ElementType<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? TensorElementType.Float
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : typeof(T) == typeof(int) ? TensorElementType.Int32
        : throw new NotSupportedException($"no ONNX element type bound for {typeof(T).Name}");
}
