using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.StreamHost.Tests.Diffusion;

/// <summary>A synthetic sd-turbo pack (with TAESD) written once for the diffusion host tests.</summary>
public sealed class DiffusionHostFixture : IDisposable
{
    public DiffusionHostFixture()
    {
        PackPath = Path.Combine(Path.GetTempPath(), $"sdnet-host-pack-{Guid.NewGuid():N}");
        SyntheticPackWriter.Write(PackPath, new SyntheticPackOptions { ImageSize = 256, Taesd = true });
    }

    public string PackPath { get; }

    /// <summary>Host settings that serve this pack as the default model.</summary>
    public string[] Settings(params string[] more) => ["Models:DefaultModel=default", $"Models:Packs:default:Path={PackPath}", .. more];

    public void Dispose()
    {
        try
        {
            Directory.Delete(PackPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
