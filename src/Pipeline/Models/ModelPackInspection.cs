using Microsoft.ML.OnnxRuntime;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>One ONNX file of a pack as its session metadata describes it.</summary>
/// <param name="RelativePath">Path inside the pack, e.g. <c>unet/model.onnx</c>.</param>
/// <param name="Inputs">Graph inputs.</param>
/// <param name="Outputs">Graph outputs.</param>
/// <param name="Error">Why ONNX Runtime could not open it, when it could not.</param>
public sealed record OnnxFileDescription(string RelativePath, IReadOnlyList<OnnxTensorInfo> Inputs, IReadOnlyList<OnnxTensorInfo> Outputs, string? Error);

/// <summary>
/// What <c>models inspect</c> shows: every ONNX file's inputs and outputs, and what the loader
/// concluded about the pack (or why it refused it).
/// </summary>
public sealed record ModelPackInspection(string Directory, IReadOnlyList<OnnxFileDescription> Files, IReadOnlyList<KeyValuePair<string, string>> Conclusions, string? LoadError)
{
    /// <summary>Inspects a folder: reads each ONNX file's metadata on CPU, then runs the real loader.</summary>
    public static ModelPackInspection Inspect(string directory, ModelPackOptions? options = null)
    {
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new ModelPackException($"{directory}: model pack folder not found");
        }

        var files = new List<OnnxFileDescription>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(directory, file);
            try
            {
                using var session = new InferenceSession(file);
                files.Add(new OnnxFileDescription(
                    relative,
                    session.InputMetadata.Select(kv => OnnxTensorInfo.From(kv.Key, kv.Value)).ToArray(),
                    session.OutputMetadata.Select(kv => OnnxTensorInfo.From(kv.Key, kv.Value)).ToArray(),
                    null));
            }
            catch (OnnxRuntimeException ex)
            {
                files.Add(new OnnxFileDescription(relative, [], [], ex.Message));
            }
        }

        var conclusions = new List<KeyValuePair<string, string>>();
        string? loadError = null;
        try
        {
            using var pack = ModelPack.Load(directory, (options ?? new ModelPackOptions()) with { Provider = ExecutionProvider.Cpu });
            void Add(string key, string value) => conclusions.Add(new(key, value));
            Add("family", pack.Unet.IsVideo ? $"{pack.Family} (video denoiser)" : pack.Family.ToString());
            Add("pipeline class", pack.PipelineClass ?? "(no model_index.json)");
            Add("hidden size", pack.HiddenSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add("image size", $"{pack.ImageSize} ({(pack.Unet.LatentHeight is null ? "graph axes symbolic; unet/config.json sample_size, else 512" : "fixed by the graph")})");
            Add("input_ids dtype", OnnxModel.TypeText(pack.TextEncoder.IdsType));
            Add("unet sample dtype", OnnxModel.TypeText(pack.Unet.SampleType));
            Add("timestep", $"{OnnxModel.TypeText(pack.Unet.TimestepType)} {(pack.Unet.HasScalarTimestep ? "scalar" : pack.Unet.IsVideo ? "[batch,frames]" : "[batch]")}");
            Add("timestep_cond", pack.Unet.HasTimestepCond ? "yes (LCM guidance embedding)" : "no");
            Add("vae encoder output", pack.VaeEncoder.OutputsDistribution ? "latent_parameters (mean‖logvar)" : "latent_sample");
            Add("vae dtype", OnnxModel.TypeText(pack.VaeEncoder.InputType));
            Add("scaling factor", pack.ScalingFactor.ToString("0.#####", System.Globalization.CultureInfo.InvariantCulture));
            Add("codec", pack.Codec.Name + (pack.Codec is TaesdCodec t ? $" (images in {(t.ImagesInZeroOne ? "[0,1]" : "[-1,1]")}: {t.RangeReason})" : string.Empty));
            foreach (var model in pack.Models)
            {
                Add(Path.GetRelativePath(directory, model.FilePath), model.Summary);
            }
        }
        catch (ModelPackException ex)
        {
            loadError = ex.Message;
        }

        return new ModelPackInspection(directory, files, conclusions, loadError);
    }
}
