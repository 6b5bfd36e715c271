using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>Writes synthetic packs once per test class into a temp folder, keyed by their options.</summary>
public sealed class SyntheticPackFixture : IDisposable
{
    private readonly TempDirectory _root = new("sdnet-packs");
    private readonly Dictionary<SyntheticPackOptions, string> _packs = [];
    private readonly Lock _gate = new();

    public string Get(SyntheticPackOptions options)
    {
        lock (_gate)
        {
            if (!_packs.TryGetValue(options, out var path))
            {
                path = _root.Combine($"pack{_packs.Count}");
                SyntheticPackWriter.Write(path, options);
                _packs[options] = path;
            }

            return path;
        }
    }

    /// <summary>A fresh copy of a pack that a test may break.</summary>
    public string CopyOf(SyntheticPackOptions options)
    {
        var source = Get(options);
        var target = _root.Combine($"copy-{Guid.NewGuid():N}");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    public void Dispose() => _root.Dispose();
}
