namespace StreamDiffusion.LoadTest.Tests.Deployment;

/// <summary>
/// A Dockerfile read the way the builder reads it: comments dropped, backslash continuations joined, one
/// instruction per entry, grouped by the FROM that opens each stage.
/// </summary>
internal sealed class DockerfileModel
{
    private DockerfileModel(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    public static DockerfileModel Parse(string text)
    {
        var stages = new List<DockerStage>();
        var pending = string.Empty;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (pending.Length == 0 && line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var full = (pending + line).Trim();
            pending = string.Empty;
            if (full.Length == 0)
            {
                continue;
            }

            var space = full.IndexOf(' ', StringComparison.Ordinal);
            var keyword = full[..space].ToUpperInvariant();
            var arguments = full[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var name = parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : string.Empty;
                stages.Add(new DockerStage(parts[0], name, new List<DockerInstruction>()));
                continue;
            }

            Assert.True(stages.Count > 0, $"{keyword} before the first FROM");
            ((List<DockerInstruction>)stages[^1].Instructions).Add(new DockerInstruction(keyword, arguments));
        }

        return new DockerfileModel(stages);
    }
}
