using Microsoft.ML.OnnxRuntime.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// CLIP text encoder: <c>input_ids [B,77]</c> (int64 or int32) → <c>last_hidden_state [B,77,D]</c>.
/// </summary>
public sealed class TextEncoderModel : OnnxModel
{
    /// <summary>Tokens per prompt (CLIP's context length).</summary>
    public const int SequenceLength = 77;

    private readonly OnnxTensorInfo _inputIds;
    private readonly OnnxTensorInfo _hiddenState;
    private readonly string[] _outputNames;

    private TextEncoderModel(string filePath, Microsoft.ML.OnnxRuntime.InferenceSession session, ExecutionProvider provider)
        : base(filePath, session, provider)
    {
        _inputIds = Require(
            FindInput("input_ids") ?? Inputs.FirstOrDefault(),
            "input 'input_ids'",
            "[batch,77] int64 or int32",
            [2],
            [TensorElementType.Int64, TensorElementType.Int32],
            null,
            SequenceLength);
        _hiddenState = Require(
            FindOutput("last_hidden_state") ?? Outputs.FirstOrDefault(o => o.Rank == 3),
            "output 'last_hidden_state'",
            "[batch,77,hidden] float32 or float16",
            [3],
            [TensorElementType.Float, TensorElementType.Float16],
            null,
            SequenceLength);
        HiddenSize = _hiddenState.StaticDimension(2)
            ?? throw new ModelPackException($"{filePath}: tensor '{_hiddenState.Name}' has a symbolic hidden size {_hiddenState.ShapeText}; expected a fixed width such as 768 or 1024");
        _outputNames = [_hiddenState.Name];
    }

    /// <summary>Embedding width D (768 for SD1.x, 1024 for SD2.x / sd-turbo).</summary>
    public int HiddenSize { get; }

    /// <summary>Element type of the ids input (int64 or int32).</summary>
    public TensorElementType IdsType => _inputIds.ElementType;

    /// <inheritdoc />
    public override string Summary => $"text encoder: ids {_inputIds.ElementTypeText}, hidden size {HiddenSize}, output {_hiddenState.ElementTypeText}";

    /// <summary>Loads and validates <c>text_encoder/model.onnx</c>.</summary>
    public static TextEncoderModel Load(string filePath, ExecutionProvider provider, ModelPackOptions options)
    {
        var session = Open(filePath, provider, options);
        try
        {
            return new TextEncoderModel(filePath, session, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Encodes <paramref name="batch"/> padded id rows into [batch,77,D] embeddings.</summary>
    public void Encode(ReadOnlySpan<long> ids, int batch, Span<float> embeddings)
    {
        ThrowIfDisposed();
        if (ids.Length != batch * SequenceLength)
        {
            throw new ArgumentException($"expected {batch}x{SequenceLength} ids, got {ids.Length}", nameof(ids));
        }

        using var scope = new OrtRunScope();
        scope.AddIds(_inputIds, ids, [batch, SequenceLength]);
        using var outputs = Session.Run(RunOptions, scope.Names, scope.Values, _outputNames);
        OrtRunScope.CopyOut(outputs[0], _hiddenState.Name, embeddings[..(batch * SequenceLength * HiddenSize)]);
    }
}
