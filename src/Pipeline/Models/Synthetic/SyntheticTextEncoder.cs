using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// A CLIP-shaped text encoder: input_ids [B,77] → last_hidden_state [B,77,D], pooler_output [B,D].
/// Token embedding (low-rank table over the whole CLIP id range, so no two CLIP tokens collide) plus a position
/// embedding plus a causal context term, then LayerNorm. The context of every token is the mean embedding of the
/// tokens up to it, stopping at the first EOS, so padding positions carry the sentence (as CLIP's do through causal
/// attention) and the mean over all 77 positions depends on the prompt, not mostly on the padding.
/// The pooler takes the hidden state at the first EOS (argmax of the ids, as CLIP does).
/// </summary>
internal static class SyntheticTextEncoder
{
    public const int SequenceLength = 77;
    public const int VocabularyRange = 49408;
    private const int Rank = 32;
    private const float PositionScale = 0.2f;
    private const float ContextScale = 2f;

    public static ModelProto Build(SyntheticPackOptions options)
    {
        int d = options.HiddenSize;
        var random = new SyntheticRandom(options.Seed, "text-encoder-" + d);
        var g = new OnnxGraphBuilder("synthetic_text_encoder");

        var idsType = options.InputIdsType == SyntheticInputIdsType.Int32 ? DataType.Int32 : DataType.Int64;
        var ids = g.Input("input_ids", idsType, "batch_size", SequenceLength);
        var ids64 = idsType == DataType.Int64 ? ids : g.Cast(ids, DataType.Int64);

        // Token embedding: Gather from a [K,R] table, then a shared [R,D] projection (6 MB instead of 200 MB).
        var index = g.Node("Mod", [ids64, g.Int64s("vocab_range", [VocabularyRange])]);
        var table = g.Floats("token_table", random.Gaussian(VocabularyRange * Rank, 1.0), VocabularyRange, Rank);
        var projection = g.Floats("token_projection", random.Gaussian(Rank * d, 1.0 / Math.Sqrt(Rank)), Rank, d);
        var tokens = g.Node("MatMul", [g.Node("Gather", [table, index], ("axis", 0L)), projection]);

        // Mask of positions up to and including the first EOS (the largest id, as CLIP's pooler assumes).
        var eos = g.Node("ArgMax", [g.Cast(ids64, DataType.Float)], ("axis", 1L), ("keepdims", 1L));
        var positions = new float[SequenceLength];
        for (int i = 0; i < positions.Length; i++)
        {
            positions[i] = i;
        }

        var inSentence = g.Node("LessOrEqual", [g.Floats("positions", positions, 1, SequenceLength), g.Cast(eos, DataType.Float)]);
        var mask = g.Node("Unsqueeze", [g.Cast(inSentence, DataType.Float), g.Longs(2)]);
        var axis = g.Int64s("axis1", [1]);
        var sum = g.Node("CumSum", [g.Mul(tokens, mask), axis]);
        var count = g.Node("CumSum", [mask, axis]);
        var context = g.Mul(g.Div(sum, count), g.Scalar(ContextScale));

        var position = g.Floats("position_embedding", random.Gaussian(SequenceLength * d, PositionScale), SequenceLength, d);
        var h = g.Add(g.Add(tokens, position), context);

        var ones = new float[d];
        Array.Fill(ones, 1f);
        var hidden = g.Node(
            "LayerNormalization",
            [h, g.Floats("ln_scale", ones, d), g.Floats("ln_bias", new float[d], d)],
            ("axis", -1L),
            ("epsilon", 1e-5f));

        var eosIndex = g.Node("Expand", [g.Node("Unsqueeze", [eos, g.Longs(2)]), g.Longs(1, 1, d)]);
        var pooled = g.Node("Squeeze", [g.Node("GatherElements", [hidden, eosIndex], ("axis", 1L)), g.Longs(1)]);

        g.Output("last_hidden_state", hidden, DataType.Float, "batch_size", SequenceLength, d);
        g.Output("pooler_output", pooled, DataType.Float, "batch_size", d);
        return g.Build("Synthetic CLIP-shaped text encoder (StreamDiffusion.Net); not a trained model.");
    }
}
