namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// One configured API key: its name, the SHA-256 of the key (the key itself is never stored; <c>streamhost keys
/// new</c> prints a key and its hash) and its limits. A limit left out means the host's own limit.
/// </summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who the key belongs to; shown in logs and counted per name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 bytes (64 characters).</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>Concurrent sessions (Stream, Generate, GenerateVideo and WebSocket together); 0: the host's limit.</summary>
    public int MaxSessions { get; set; }

    /// <summary>Frames per second a stream of this key may process; 0: no cap of its own.</summary>
    public double MaxFps { get; set; }

    /// <summary>Largest output width; 0: the host's <c>Limits:MaxWidth</c>.</summary>
    public int MaxWidth { get; set; }

    /// <summary>Largest output height; 0: the host's <c>Limits:MaxHeight</c>.</summary>
    public int MaxHeight { get; set; }

    /// <summary>
    /// Whether the key sees and controls every session (operators): <c>/sessions</c>, MJPEG and ControlVideo. Other keys
    /// see only the sessions they started (and broadcast ingest, which has no key).
    /// </summary>
    public bool Admin { get; set; }

    /// <summary>Models this key may use; empty: all.</summary>
    public IList<string> AllowedModels { get; } = [];
}
