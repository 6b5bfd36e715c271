using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>Writes synthetic packs once per test class into a temp folder, keyed by their options.</summary>
public sealed class SyntheticPackFixture : IDisposable
{
    private readonly TempDirectory root = new("sdnet-packs");
    private readonly Dictionary<SyntheticPackOptions, string> packs = [];
    private readonly Lock gate = new();

    public string Get(SyntheticPackOptions options)
    {
        lock (gate)
        {
            if (!packs.TryGetValue(options, out var path))
            {
                path = root.Combine($"pack{packs.Count}");
                SyntheticPackWriter.Write(path, options);
                packs[options] = path;
            }

            return path;
        }
    }

    /// <summary>A fresh copy of a pack that a test may break.</summary>
    public string CopyOf(SyntheticPackOptions options)
    {
        var source = Get(options);
        var target = root.Combine($"copy-{Guid.NewGuid():N}");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    public void Dispose() => root.Dispose();
}
