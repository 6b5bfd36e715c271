using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>
/// One ONNX file of a model pack with its session. Subclasses read the names, ranks and element
/// types they need from the session metadata at load time and fail there, with the file, the
/// tensor and the expectation in the message, rather than at the first frame.
/// </summary>
public abstract class OnnxModel : IDisposable
{
    private bool _disposed;

    protected OnnxModel(string filePath, InferenceSession session, ExecutionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(session);
        FilePath = filePath;
        Session = session;
        Provider = provider;
        Inputs = session.InputMetadata.Select(kv => OnnxTensorInfo.From(kv.Key, kv.Value)).ToArray();
        Outputs = session.OutputMetadata.Select(kv => OnnxTensorInfo.From(kv.Key, kv.Value)).ToArray();
    }

    /// <summary>Path of the ONNX file.</summary>
    public string FilePath { get; }

    /// <summary>Provider the session runs on.</summary>
    public ExecutionProvider Provider { get; }

    /// <summary>Graph inputs as declared.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>Graph outputs as declared.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>What the loader concluded about this file, for <c>models inspect</c>.</summary>
    public abstract string Summary { get; }

    internal InferenceSession Session { get; }

    /// <summary>Run options shared by every call on this session.</summary>
    internal RunOptions RunOptions { get; } = new();

    /// <summary>
    /// Where the buffers of an <see cref="OnnxBoundCall"/> live: pinned host memory. A CUDA build
    /// binding device buffers would return the device's memory info here.
    /// </summary>
    internal OrtMemoryInfo BindingMemory => OrtMemoryInfo.DefaultInstance;

    /// <summary>Starts binding one call shape to fixed buffers.</summary>
    internal OnnxBoundCall CreateBoundCall()
    {
        ThrowIfDisposed();
        return new OnnxBoundCall(this);
    }

    /// <summary>Runs the session on an I/O binding (see <see cref="OnnxBoundCall"/>).</summary>
    internal void RunBound(RunOptions runOptions, OrtIoBinding binding)
    {
        ThrowIfDisposed();
        Session.RunWithBinding(runOptions, binding);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Opens a session, turning a missing or unreadable file into a <see cref="ModelPackException"/>.</summary>
    internal static InferenceSession Open(string filePath, ExecutionProvider provider, ModelPackOptions options, string? tensorRTProfile = null)
    {
        if (!File.Exists(filePath))
        {
            throw new ModelPackException($"{filePath}: file not found (expected an ONNX model here)");
        }

        var sessionOptions = ExecutionProviderFactory.Create(provider, options, filePath, tensorRTProfile);
        try
        {
            return new InferenceSession(filePath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelPackException($"{filePath}: ONNX Runtime could not load it: {ex.Message}", ex);
        }
        finally
        {
            sessionOptions.Dispose();
        }
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            if (disposing)
            {
                Session.Dispose();
                RunOptions.Dispose();
            }

            _disposed = true;
        }
    }

    /// <summary>Finds an input by one of its usual names.</summary>
    protected OnnxTensorInfo? FindInput(params string[] names) =>
        names.Select(n => Inputs.FirstOrDefault(i => i.Name == n)).FirstOrDefault(i => i is not null);

    /// <summary>Finds an output by one of its usual names.</summary>
    protected OnnxTensorInfo? FindOutput(params string[] names) =>
        names.Select(n => Outputs.FirstOrDefault(i => i.Name == n)).FirstOrDefault(i => i is not null);

    /// <summary>
    /// Checks a tensor's rank, element type and any static axis sizes given (null = any), failing
    /// with a message naming the file, the tensor and the expectation.
    /// </summary>
    protected OnnxTensorInfo Require(OnnxTensorInfo? tensor, string role, string expectedShape, int[] ranks, TensorElementType[] types, params int?[] axes)
    {
        if (tensor is null)
        {
            var available = string.Join(", ", Inputs.Concat(Outputs).Select(t => t.ToString()));
            throw new ModelPackException($"{FilePath}: missing {role} {expectedShape} (graph has: {available})");
        }

        if (!ranks.Contains(tensor.Rank))
        {
            throw new ModelPackException($"{FilePath}: tensor '{tensor.Name}' ({role}) has rank {tensor.Rank} {tensor.ShapeText}, expected {expectedShape}");
        }

        if (!types.Contains(tensor.ElementType))
        {
            throw new ModelPackException(
                $"{FilePath}: tensor '{tensor.Name}' ({role}) has element type {tensor.ElementTypeText}, expected {string.Join(" or ", types.Select(TypeText))}");
        }

        for (var axis = 0; axis < axes.Length && axis < tensor.Rank; axis++)
        {
            var expected = axes[axis];
            var actual = tensor.StaticDimension(axis);
            if (expected is not null && actual is not null && actual != expected)
            {
                throw new ModelPackException($"{FilePath}: tensor '{tensor.Name}' ({role}) has shape {tensor.ShapeText}, expected {expectedShape} (axis {axis} must be {expected})");
            }
        }

        return tensor;
    }

    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal static string TypeText(TensorElementType type) => new OnnxTensorInfo("", type, [], []).ElementTypeText;
}
