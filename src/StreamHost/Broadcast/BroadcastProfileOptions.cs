using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// A stream key's session configuration as written in appsettings (<c>Broadcast:Keys:KEY</c>). The HTTP API takes
/// the same fields as JSON in the SessionConfig shape the WebSocket page sends (see docs/broadcasting.md).
/// </summary>
public sealed class BroadcastProfileOptions
{
    /// <summary>Model pack name; empty for the host's default.</summary>
    public string Model { get; set; } = string.Empty;

    /// <summary>Prompt.</summary>
    public string Prompt { get; set; } = string.Empty;

    /// <summary>Negative prompt.</summary>
    public string NegativePrompt { get; set; } = string.Empty;

    /// <summary>Generation width; 0 for the model's native size.</summary>
    public int Width { get; set; }

    /// <summary>Generation height; 0 for the model's native size.</summary>
    public int Height { get; set; }

    /// <summary>none, full, self or initialize; empty for the default (self).</summary>
    public string CfgType { get; set; } = string.Empty;

    /// <summary>Guidance scale; null for the default.</summary>
    public float? GuidanceScale { get; set; }

    /// <summary>Denoising steps as indices into the 50-step schedule (lower first index = stronger change).</summary>
    public List<int> TIndexList { get; set; } = [];

    /// <summary>Noise seed; null for the default.</summary>
    public long? Seed { get; set; }

    /// <summary>The SessionConfig this profile stands for.</summary>
    public SessionConfig ToSessionConfig()
    {
        var config = new SessionConfig
        {
            Model = Model,
            Prompt = Prompt,
            NegativePrompt = NegativePrompt,
            Width = Width,
            Height = Height,
        };
        config.TIndexList.Add(TIndexList);
        if (CfgType.Length > 0)
        {
            config.CfgType = Enum.TryParse<CfgType>(CfgType, ignoreCase: true, out var cfg) && Enum.IsDefined(cfg)
                ? cfg
                : throw new InvalidOperationException($"Broadcast:Keys: cfg type '{CfgType}' is not none, full, self or initialize");
        }

        if (GuidanceScale is { } guidance)
        {
            config.GuidanceScale = guidance;
        }

        if (Seed is { } seed)
        {
            config.Seed = seed;
        }

        return config;
    }
}
