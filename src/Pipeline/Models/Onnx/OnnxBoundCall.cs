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
    private static readonly Action<object?> s_terminate = static options => ((RunOptions)options!).Terminate = true;

    private readonly OrtIoBinding _binding;

    // Its own run options, so terminating this call stops no other call of the shared session.
    private readonly RunOptions _runOptions = new();
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
    /// <param name="cancellationToken">
    /// Cancelling it sets ONNX Runtime's terminate flag, which the session checks between graph nodes: the run
    /// stops early and this throws <see cref="OperationCanceledException"/>.
    /// </param>
    public void Run(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            _model.RunBound(_runOptions, _binding);
            return;
        }

        var registration = cancellationToken.UnsafeRegister(s_terminate, _runOptions);
        try
        {
            _model.RunBound(_runOptions, _binding);
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the model call was stopped: its caller cancelled", ex, cancellationToken);
        }
        finally
        {
            // Dispose waits for a callback already running, so no late terminate can reach the next run.
            registration.Dispose();
            _runOptions.Terminate = false;
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _binding.Dispose();
            _runOptions.Dispose();
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
