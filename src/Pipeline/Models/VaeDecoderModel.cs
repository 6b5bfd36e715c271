using Microsoft.ML.OnnxRuntime.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>VAE decoder: <c>latent_sample [B,4,h,w]</c> (unscaled) → <c>sample [B,3,H,W]</c> in [−1,1].</summary>
public sealed class VaeDecoderModel : OnnxModel
{
    private readonly OnnxTensorInfo _input;
    private readonly OnnxTensorInfo _output;
    private readonly string[] _outputNames;

    private VaeDecoderModel(string filePath, Microsoft.ML.OnnxRuntime.InferenceSession session, ExecutionProvider provider)
        : base(filePath, session, provider)
    {
        var floats = new[] { TensorElementType.Float, TensorElementType.Float16 };
        _input = Require(FindInput("latent_sample") ?? Inputs.FirstOrDefault(), "input 'latent_sample'", "[batch,4,h,w] float32/float16", [4], floats, null, 4);
        _output = Require(FindOutput("sample") ?? Outputs.FirstOrDefault(), "output 'sample'", "[batch,3,height,width] float32/float16", [4], floats, null, 3);
        _outputNames = [_output.Name];
    }

    /// <summary>Element type of the latent input.</summary>
    public TensorElementType InputType => _input.ElementType;

    /// <inheritdoc />
    public override string Summary => $"vae decoder: latent {_input.ElementTypeText} → image {_output.ElementTypeText} in [-1,1]";

    /// <summary>Loads and validates <c>vae_decoder/model.onnx</c>.</summary>
    public static VaeDecoderModel Load(string filePath, ExecutionProvider provider, ModelPackOptions options)
    {
        var session = Open(filePath, provider, options);
        try
        {
            return new VaeDecoderModel(filePath, session, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Decodes unscaled latents [B,4,H/8,W/8] into images [B,3,H,W].</summary>
    public void Decode(ReadOnlySpan<float> latents, int batch, int height, int width, Span<float> images)
    {
        ThrowIfDisposed();
        using var scope = new OrtRunScope();
        scope.AddFloats(_input, latents, [batch, 4, height / 8, width / 8]);
        using var outputs = Session.Run(RunOptions, scope.Names, scope.Values, _outputNames);
        OrtRunScope.CopyOut(outputs[0], _output.Name, images[..(batch * 3 * height * width)]);
    }
}
