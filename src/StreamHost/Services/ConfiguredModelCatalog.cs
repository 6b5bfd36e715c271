using Microsoft.Extensions.Options;
using StreamDiffusion.StreamHost.Options;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>Model catalog built from the <c>Models</c> configuration section, without touching the packs.</summary>
public sealed class ConfiguredModelCatalog : IModelCatalog
{
    private readonly Dictionary<string, ModelDescriptor> _byName;
    private readonly ModelDescriptor _default;

    /// <summary>Builds the catalog; with no packs configured, one embedded pack named after the default model.</summary>
    public ConfiguredModelCatalog(IOptions<ModelsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = options.Value;
        var defaultName = string.IsNullOrWhiteSpace(config.DefaultModel) ? "default" : config.DefaultModel;
        var list = new List<ModelDescriptor>();
        foreach (var (name, pack) in config.Packs.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            list.Add(new ModelDescriptor(name, pack.Path, pack.Provider, pack.ImageSize,
                string.Equals(name, defaultName, StringComparison.OrdinalIgnoreCase))
            {
                Options = new Dictionary<string, string>(pack.Options, StringComparer.OrdinalIgnoreCase),
            });
        }

        if (list.Count == 0)
        {
            list.Add(new ModelDescriptor(defaultName, string.Empty, "CPU", 512, IsDefault: true));
        }

        Models = list;
        _byName = list.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);
        _default = list.FirstOrDefault(m => m.IsDefault)
            ?? throw new InvalidOperationException(
                $"Models:DefaultModel '{defaultName}' is not one of the configured packs ({string.Join(", ", _byName.Keys)}).");
    }

    /// <inheritdoc />
    public IReadOnlyList<ModelDescriptor> Models { get; }

    /// <inheritdoc />
    public bool TryResolve(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelDescriptor? model)
    {
        if (string.IsNullOrEmpty(name))
        {
            model = _default;
            return true;
        }

        return _byName.TryGetValue(name, out model);
    }
}
