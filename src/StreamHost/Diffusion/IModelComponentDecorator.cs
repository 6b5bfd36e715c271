using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.StreamHost.Diffusion;

/// <summary>
/// Wraps the model components a loaded model's engines call (the denoiser and the latent codec), once per model at
/// load time. This is the seam between the micro-batching engines and ONNX Runtime: a wrapper sees every batched
/// model call, so it can time, trace, or (in the fault tests) fail, stall or corrupt calls without patching code.
/// </summary>
/// <remarks>Registered through DI; the host registers none, so production runs the pack's components directly.</remarks>
public interface IModelComponentDecorator
{
    /// <summary>The noise predictor the model's denoiser engine calls instead of <paramref name="denoiser"/>.</summary>
    INoisePredictor DecorateDenoiser(string model, INoisePredictor denoiser);

    /// <summary>The codec the model's codec engine calls instead of <paramref name="codec"/>.</summary>
    ILatentCodec DecorateCodec(string model, ILatentCodec codec);
}
