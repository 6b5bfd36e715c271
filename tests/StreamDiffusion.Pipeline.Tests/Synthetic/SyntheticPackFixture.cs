using System.Diagnostics;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Synthetic;

/// <summary>Writes the packs the synthetic tests share once per test class, into a temporary folder.</summary>
public sealed class SyntheticPackFixture : IDisposable
{
    private readonly Dictionary<string, string> _packs = [];
    private readonly object _gate = new();

    public SyntheticPackFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "sd-synthetic-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Milliseconds the last write of each pack took.</summary>
    public Dictionary<string, double> WriteMilliseconds { get; } = [];

    /// <summary>Writes (once) and returns the folder of a pack with these options.</summary>
    public string Pack(string name, SyntheticPackOptions options)
    {
        lock (_gate)
        {
            if (!_packs.TryGetValue(name, out var path))
            {
                path = Path.Combine(Root, name);
                var watch = Stopwatch.StartNew();
                SyntheticPackWriter.Write(path, options);
                WriteMilliseconds[name] = watch.Elapsed.TotalMilliseconds;
                _packs[name] = path;
            }

            return path;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
