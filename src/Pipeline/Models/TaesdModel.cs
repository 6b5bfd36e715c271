using Microsoft.ML.OnnxRuntime.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// One half of a tiny autoencoder (TAESD). Exporters name its tensors differently
/// (<c>sample</c>→<c>latent_sample</c>, <c>images</c>→<c>latent</c>...), so the only contract is
/// rank 4 in and out with 3 image channels on one side and 4 latent channels on the other.
/// </summary>
public sealed class TaesdModel : OnnxModel
{
    private readonly OnnxTensorInfo _input;
    private readonly OnnxTensorInfo _output;
    private readonly string[] _outputNames;

    private TaesdModel(string filePath, Microsoft.ML.OnnxRuntime.InferenceSession session, ExecutionProvider provider, bool isEncoder)
        : base(filePath, session, provider)
    {
        IsEncoder = isEncoder;
        var floats = new[] { TensorElementType.Float, TensorElementType.Float16 };
        var (inChannels, outChannels) = isEncoder ? (3, 4) : (4, 3);
        if (Inputs.Count != 1)
        {
            throw new ModelPackException($"{filePath}: a TAESD {(isEncoder ? "encoder" : "decoder")} takes one input, the graph has {Inputs.Count} ({string.Join(", ", Inputs)})");
        }

        _input = Require(Inputs[0], "input", $"[batch,{inChannels},h,w] float32/float16", [4], floats, null, inChannels);
        _output = Require(Outputs.FirstOrDefault(), "output", $"[batch,{outChannels},h,w] float32/float16", [4], floats, null, outChannels);
        _outputNames = [_output.Name];
    }

    /// <summary>True for the encoder half.</summary>
    public bool IsEncoder { get; }

    /// <inheritdoc />
    public override string Summary => $"taesd {(IsEncoder ? "encoder" : "decoder")}: '{_input.Name}' {_input.ElementTypeText} → '{_output.Name}' {_output.ElementTypeText}";

    /// <summary>Loads and validates a TAESD encoder or decoder.</summary>
    public static TaesdModel Load(string filePath, ExecutionProvider provider, ModelPackOptions options, bool isEncoder)
    {
        var session = Open(filePath, provider, options);
        try
        {
            return new TaesdModel(filePath, session, provider, isEncoder);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds the graph to fixed buffers for one shape (see <see cref="OnnxBoundCall"/>); null when
    /// the graph is not float32 in and out (a float16 export goes through <see cref="Run"/>, which converts).
    /// </summary>
    public OnnxBoundCall? Bind(PinnedBuffer<float> input, long[] inputShape, PinnedBuffer<float> output, long[] outputShape)
    {
        ThrowIfDisposed();
        if (_input.ElementType != TensorElementType.Float || _output.ElementType != TensorElementType.Float)
        {
            return null;
        }

        var call = CreateBoundCall();
        try
        {
            call.BindInput(_input.Name, input, inputShape);
            call.BindOutput(_output.Name, output, outputShape);
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Runs the graph on a [batch, channels, height, width] tensor.</summary>
    public void Run(ReadOnlySpan<float> values, long[] shape, Span<float> result)
    {
        ThrowIfDisposed();
        using var scope = new OrtRunScope();
        scope.AddFloats(_input, values, shape);
        using var outputs = Session.Run(RunOptions, scope.Names, scope.Values, _outputNames);
        OrtRunScope.CopyOut(outputs[0], _output.Name, result);
    }
}
