namespace StreamDiffusion.Pipeline.Tests;

/// <summary>Locates the repository root and the shared test data beside it (../shared/data).</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("StreamDiffusion.Net.sln not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => s_root.Value;

    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    public static string ClipVocabulary => Path.Combine(SharedData, "clip");

    public static string Image(string name) => Path.Combine(SharedData, "images", name);

    public static IEnumerable<string> Images => Directory.EnumerateFiles(Path.Combine(SharedData, "images")).Order(StringComparer.Ordinal);
}
