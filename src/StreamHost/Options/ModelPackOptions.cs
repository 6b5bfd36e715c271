namespace StreamDiffusion.StreamHost.Options;

/// <summary>One configured model pack (an entry of <c>Models:Packs</c>).</summary>
public sealed class ModelPackOptions
{
    /// <summary>Pack folder; empty for the embedded synthetic pack.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Execution provider: CPU, CUDA or TensorRT.</summary>
    public string Provider { get; set; } = "CPU";

    /// <summary>Native image size in pixels, used when a session asks for size 0.</summary>
    public int ImageSize { get; set; } = 512;

    /// <summary>Free-form loader/provider options (device id, max batch, fp16, ...), interpreted by the pipeline.</summary>
    public Dictionary<string, string> Options { get; } = new(StringComparer.OrdinalIgnoreCase);
}
