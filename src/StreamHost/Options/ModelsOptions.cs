namespace StreamDiffusion.StreamHost.Options;

/// <summary>Model packs the host serves (configuration section <c>Models</c>).</summary>
public sealed class ModelsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Models";

    /// <summary>Name of the model used when a session does not name one.</summary>
    public string DefaultModel { get; set; } = "default";

    /// <summary>Packs by name (case-insensitive). Empty: one embedded pack named <see cref="DefaultModel"/>.</summary>
    public Dictionary<string, ModelPackOptions> Packs { get; } = new(StringComparer.OrdinalIgnoreCase);
}
