using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>Turns a <c>--model</c> value into a pack folder: "default" is the embedded synthetic pack.</summary>
public static class ModelLocator
{
    public static string Resolve(string? model)
    {
        if (string.IsNullOrWhiteSpace(model) || model.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            return DefaultModelPack.EnsureCreated();
        }

        return Path.GetFullPath(model);
    }
}
