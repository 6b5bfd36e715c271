using Microsoft.Extensions.Logging;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// The host's embedded default model: a synthetic sd-turbo-like pack (with TAESD) generated on
/// first start into a cache folder and reused after, so the service runs with no download.
/// </summary>
public static class DefaultModelPack
{
    /// <summary>Bumped whenever the synthetic pack's graphs change, so stale caches are not reused.</summary>
    public const string Version = "v3";

    /// <summary>The options the default pack is written with.</summary>
    public static SyntheticPackOptions Options { get; } = new() { Family = SyntheticFamily.SdTurbo, ImageSize = 512, Taesd = true };

    /// <summary>
    /// Cache root: <c>STREAMDIFFUSION_CACHE</c>, else <c>$XDG_CACHE_HOME/streamdiffusion</c>, else
    /// <c>~/.cache/streamdiffusion</c>.
    /// </summary>
    public static string CacheRoot
    {
        get
        {
            var explicitRoot = Environment.GetEnvironmentVariable("STREAMDIFFUSION_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitRoot))
            {
                return explicitRoot;
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(baseDir, "streamdiffusion");
        }
    }

    /// <summary>Returns the default pack's folder, generating it first when it is not there yet.</summary>
    public static string EnsureCreated(string? cacheRoot = null, ILogger? logger = null)
    {
        var directory = Path.Combine(cacheRoot ?? CacheRoot, $"default-{Version}");
        if (File.Exists(Path.Combine(directory, "synthetic.json")))
        {
            return directory;
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            SyntheticPackWriter.Write(directory, Options);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, "synthetic.json")))
        {
            // Another process generated it at the same moment; theirs is as good as ours.
        }

        logger?.LogInformation("Generated the default synthetic model pack in {Directory} ({Milliseconds} ms)", directory, started.ElapsedMilliseconds);
        return directory;
    }
}
