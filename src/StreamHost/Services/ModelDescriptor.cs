namespace StreamDiffusion.StreamHost.Services;

/// <summary>What the host knows about one model pack; the source of <c>ModelInfo</c> and of session defaults.</summary>
/// <param name="Name">Name sessions select it by.</param>
/// <param name="Path">Pack folder (empty for an embedded pack).</param>
/// <param name="Provider">Execution provider it runs on.</param>
/// <param name="ImageSize">Native square image size in pixels.</param>
/// <param name="IsDefault">Whether it is used when a session names no model.</param>
public sealed record ModelDescriptor(string Name, string Path, string Provider, int ImageSize, bool IsDefault)
{
    /// <summary>Model family ("sd-turbo", "sd15", ...), empty until the pack is inspected.</summary>
    public string Family { get; init; } = string.Empty;

    /// <summary>Text embedding width, 0 until known.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Whether the pack has a tiny autoencoder.</summary>
    public bool HasTaesd { get; init; }

    /// <summary>Free-form pack options from configuration.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
