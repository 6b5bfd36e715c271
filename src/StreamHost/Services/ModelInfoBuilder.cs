using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Diffusion;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// Describes the configured models for <c>ListModels</c> and the web page's <c>/models</c>, so both say the same
/// thing, in particular when the model is the built-in synthetic test pack rather than a real one.
/// </summary>
public static class ModelInfoBuilder
{
    /// <summary>What a user is told when a model is a synthetic test pack.</summary>
    public const string SyntheticNote =
        "Built-in synthetic test pack: real ONNX graphs with seeded weights, so pictures are abstract. " +
        "To load a real model, start the host with --model DIR (an optimum ONNX export, or a pack from " +
        "'streamhost models pull OWNER/REPO'); see docs/models.md.";

    /// <summary>The file <c>models synth</c> writes into every synthetic pack.</summary>
    public const string SyntheticMarkerFile = "synthetic.json";

    /// <summary>One <see cref="ModelInfo"/> per configured model; loaded packs report what they really are.</summary>
    public static ListModelsResponse Build(IModelCatalog catalog, ModelRuntimeRegistry? runtimes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var response = new ListModelsResponse();
        foreach (var m in catalog.Models)
        {
            var info = new ModelInfo
            {
                Name = m.Name,
                Family = m.Family,
                Path = m.Path,
                Provider = m.Provider,
                ImageSize = m.ImageSize,
                HiddenSize = m.HiddenSize,
                HasTaesd = m.HasTaesd,
                IsDefault = m.IsDefault,
            };

            // A loaded pack knows what it really is and where it really runs.
            if (runtimes is not null && runtimes.TryGetLoaded(m.Name, out var runtime))
            {
                var pack = runtime.Pack;
                info.Family = pack.Unet.IsVideo ? "video" : pack.Family == Pipeline.Models.ModelFamily.Sd15 ? "sd15" : "sd2";
                info.Path = pack.Directory;
                info.Provider = pack.Provider.ToString();
                info.ImageSize = pack.ImageSize;
                info.HiddenSize = pack.HiddenSize;
                info.HasTaesd = pack.TaesdDecoder is not null;
            }

            if (runtimes is not null && runtimes.TryGetLoadError(m.Name, out var reason))
            {
                info.LoadError = reason;
            }

            info.Synthetic = IsSynthetic(m.Path, info.Path);
            info.Note = info.Synthetic ? SyntheticNote : string.Empty;
            response.Models.Add(info);
        }

        return response;
    }

    // An empty configured path is the embedded default, which is always synthetic; any other pack is synthetic
    // when it carries the marker file that the synthetic pack writer leaves.
    private static bool IsSynthetic(string configuredPath, string loadedPath)
    {
        if (string.IsNullOrEmpty(configuredPath))
        {
            return true;
        }

        var folder = string.IsNullOrEmpty(loadedPath) ? configuredPath : loadedPath;
        return File.Exists(System.IO.Path.Combine(folder, SyntheticMarkerFile));
    }
}
