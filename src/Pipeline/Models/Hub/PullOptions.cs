namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>What to pull from the Hub and where to put it.</summary>
/// <remarks>
/// File selection: a file is pulled when it matches one of <see cref="Include"/> (or <see cref="Include"/> is
/// empty) and matches none of the effective exclude patterns. When <see cref="Exclude"/> is null the effective
/// excludes are <see cref="DefaultExclude"/> if <see cref="Include"/> is empty, and nothing otherwise — so by
/// default the PyTorch / Flax / TF weights that many repositories carry next to their ONNX export are skipped
/// (we only run ONNX), while an explicit <c>--include "*.safetensors"</c> still gets them.
/// Patterns without '/' match the file name; patterns with '/' match the whole path; '*' does not cross '/',
/// '**' does, '?' is one character; matching ignores case.
/// </remarks>
public sealed class PullOptions
{
    /// <summary>Weights for other runtimes, skipped unless asked for: they are usually larger than the ONNX files.</summary>
    public static IReadOnlyList<string> DefaultExclude { get; } =
    [
        "*.safetensors", "*.bin", "*.ckpt", "*.pt", "*.pth", "*.msgpack", "*.h5", "*.ot", "*.gguf", "*.tflite",
        "*.mlmodel", "*.mlpackage/**", ".gitattributes",
    ];

    /// <summary>Repository id, <c>owner/name</c> (or a bare legacy <c>name</c>).</summary>
    public required string Repository { get; init; }

    /// <summary>Branch, tag or commit. Defaults to <c>main</c>.</summary>
    public string Revision { get; init; } = "main";

    /// <summary>Folder the pack ends up in. Created only once every file is downloaded and verified.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Glob patterns of files to pull; empty means every file.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Glob patterns of files to skip; null means the default described on the class.</summary>
    public IReadOnlyList<string>? Exclude { get; init; }

    /// <summary>Replace an existing output folder that holds a different pack.</summary>
    public bool Overwrite { get; init; }

    /// <summary>How many times a file download is retried (resuming with a Range request) after a transient failure.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Base delay between retries; grows linearly with the attempt number.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A download that receives no byte for this long is treated as dropped and resumed.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The exclude patterns actually applied (see the class remarks).</summary>
    public IReadOnlyList<string> EffectiveExclude => Exclude ?? (Include.Count == 0 ? DefaultExclude : []);

    /// <summary>The default output folder for a repository: <c>./models/&lt;repo name&gt;</c>.</summary>
    public static string DefaultOutputDirectory(string repository)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        var slash = repository.LastIndexOf('/');
        var name = slash >= 0 ? repository[(slash + 1)..] : repository;
        return Path.Combine(".", "models", name);
    }
}
