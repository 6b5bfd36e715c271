using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// VAE encoder: <c>sample [B,3,H,W]</c> in [−1,1] → <c>latent_parameters [B,8,h,w]</c> (mean ‖ logvar,
/// current optimum exports) or <c>latent_sample [B,4,h,w]</c> (older exports). The mean is used, so
/// encoding is deterministic.
/// </summary>
public sealed class VaeEncoderModel : OnnxModel
{
    private readonly OnnxTensorInfo _input;
    private readonly OnnxTensorInfo _output;
    private readonly string[] _outputNames;

    private VaeEncoderModel(string filePath, Microsoft.ML.OnnxRuntime.InferenceSession session, ExecutionProvider provider)
        : base(filePath, session, provider)
    {
        var floats = new[] { TensorElementType.Float, TensorElementType.Float16 };
        _input = Require(FindInput("sample") ?? Inputs.FirstOrDefault(), "input 'sample'", "[batch,3,height,width] float32/float16", [4], floats, null, 3);
        var candidate = FindOutput("latent_parameters", "latent_sample", "latent_dist") ?? Outputs.FirstOrDefault();
        _output = Require(candidate, "output 'latent_parameters'", "[batch,8,h,w] (mean‖logvar) or 'latent_sample' [batch,4,h,w]", [4], floats);
        var channels = _output.StaticDimension(1) ?? (_output.Name == "latent_sample" ? 4 : 8);
        if (channels is not 4 and not 8)
        {
            throw new ModelPackException($"{filePath}: tensor '{_output.Name}' has {channels} channels {_output.ShapeText}, expected 8 (mean‖logvar) or 4 (latent sample)");
        }

        OutputsDistribution = channels == 8;
        _outputNames = [_output.Name];
    }

    /// <summary>True when the graph outputs mean ‖ logvar (8 channels) rather than a sample.</summary>
    public bool OutputsDistribution { get; }

    /// <summary>Element type of the image input.</summary>
    public TensorElementType InputType => _input.ElementType;

    /// <inheritdoc />
    public override string Summary =>
        $"vae encoder: image {_input.ElementTypeText}, output '{_output.Name}' = {(OutputsDistribution ? "latent_parameters (mean‖logvar, mean used)" : "latent_sample")}";

    /// <summary>Loads and validates <c>vae_encoder/model.onnx</c>.</summary>
    public static VaeEncoderModel Load(string filePath, ExecutionProvider provider, ModelPackOptions options)
    {
        var session = Open(filePath, provider, options);
        try
        {
            return new VaeEncoderModel(filePath, session, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Encodes [B,3,H,W] images into unscaled latent means [B,4,H/8,W/8].</summary>
    public void Encode(ReadOnlySpan<float> images, int batch, int height, int width, Span<float> latents)
    {
        ThrowIfDisposed();
        var latentItem = 4 * (height / 8) * (width / 8);
        using var scope = new OrtRunScope();
        scope.AddFloats(_input, images, [batch, 3, height, width]);
        using var outputs = Session.Run(RunOptions, scope.Names, scope.Values, _outputNames);
        if (!OutputsDistribution)
        {
            OrtRunScope.CopyOut(outputs[0], _output.Name, latents[..(batch * latentItem)]);
            return;
        }

        // mean ‖ logvar per item: keep the first 4 channels of each item.
        var all = System.Buffers.ArrayPool<float>.Shared.Rent(batch * latentItem * 2);
        try
        {
            OrtRunScope.CopyOut(outputs[0], _output.Name, all.AsSpan(0, batch * latentItem * 2));
            for (var b = 0; b < batch; b++)
            {
                all.AsSpan(b * latentItem * 2, latentItem).CopyTo(latents.Slice(b * latentItem, latentItem));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(all);
        }
    }

    internal static void Scale(Span<float> values, float factor) => TensorPrimitives.Multiply(values, factor, values);
}
