namespace StreamDiffusion.LoadTest.Cli;

/// <summary>Where the shared test photos are when <c>--images</c> is not given: shared/data/images beside the repository.</summary>
public static class DefaultPaths
{
    /// <summary>The first shared/data/images found above the working directory or the binaries, else a relative guess.</summary>
    public static string Images()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", "images");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return Path.Combine("..", "shared", "data", "images");
    }
}
