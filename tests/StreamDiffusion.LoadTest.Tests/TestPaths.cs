namespace StreamDiffusion.LoadTest.Tests;

/// <summary>The repository root and the shared test photos beside it (../shared/data/images).</summary>
internal static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new DirectoryNotFoundException("No folder containing StreamDiffusion.Net.sln above the test binaries.");
        }
    }

    public static string Images => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "images"));
}
