namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// The model packs a host serves. The default registration (<see cref="ConfiguredModelCatalog"/>) reads
/// configuration only; the pipeline can replace it with one that inspects and loads the packs.
/// </summary>
public interface IModelCatalog
{
    /// <summary>Every configured pack, the default one included.</summary>
    IReadOnlyList<ModelDescriptor> Models { get; }

    /// <summary>
    /// Finds a pack by name (case-insensitive); an empty or null name means the default pack.
    /// Returns false when there is no such pack (the service answers NOT_FOUND).
    /// </summary>
    bool TryResolve(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelDescriptor? model);
}
