using System.Text.RegularExpressions;
using Xunit;

namespace StreamDiffusion.Pipeline.Tests.Docs;

/// <summary>
/// The README is the front door and docs/ holds the guides: every relative link in them must resolve (file and,
/// for links into Markdown, the heading anchor), and the README stays short.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    public static TheoryData<string> MarkdownFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in DocumentationFiles())
        {
            data.Add(Path.GetRelativePath(TestPaths.RepoRoot, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_relative_link_resolves(string relativePath)
    {
        var file = Path.Combine(TestPaths.RepoRoot, relativePath);
        var broken = new List<string>();
        foreach (var target in RelativeLinks(File.ReadAllText(file)))
        {
            var (pathPart, anchor) = SplitAnchor(target);
            var resolved = pathPart.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(pathPart)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target} (no {Path.GetRelativePath(TestPaths.RepoRoot, resolved)})");
                continue;
            }

            if (anchor.Length > 0 && resolved.EndsWith(".md", StringComparison.Ordinal) && !HeadingAnchors(File.ReadAllText(resolved)).Contains(anchor))
            {
                broken.Add($"{target} (no heading #{anchor})");
            }
        }

        Assert.True(broken.Count == 0, $"{relativePath}: broken links: {string.Join(", ", broken)}");
    }

    [Fact]
    public void The_readme_is_a_front_door_that_links_every_guide()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        Assert.True(readme.Split('\n').Length <= 125, "README.md should stay about 120 lines; guides belong in docs/");
        var linked = RelativeLinks(readme).Select(l => SplitAnchor(l).Path).ToHashSet(StringComparer.Ordinal);
        var unlinked = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*.md")
            .Select(f => "docs/" + Path.GetFileName(f))
            .Where(g => !linked.Contains(g))
            .ToList();
        Assert.True(unlinked.Count == 0, "README.md does not link: " + string.Join(", ", unlinked));
    }

    [Fact]
    public void The_link_checker_finds_a_broken_link()
    {
        // Guards the checker itself: a made-up target and a made-up heading must both be reported.
        var links = RelativeLinks("see [a](docs/nowhere.md), [b](#no-such-heading), [c](https://example.com), ![d](images/x.png)").ToList();
        Assert.Equal(["docs/nowhere.md", "#no-such-heading", "images/x.png"], links);
        Assert.Contains("the-two-commands", HeadingAnchors("## The two commands\n"));
        Assert.Contains("end-to-end-over-grpc", HeadingAnchors("### End to end over gRPC\n"));
    }

    private static IEnumerable<string> DocumentationFiles()
    {
        yield return Path.Combine(TestPaths.RepoRoot, "README.md");
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return file;
        }
    }

    private static IEnumerable<string> RelativeLinks(string markdown)
    {
        var withoutCode = CodeBlock().Replace(markdown, string.Empty);
        foreach (Match m in MarkdownLink().Matches(withoutCode))
        {
            var target = m.Groups["target"].Value.Trim();
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            yield return target;
        }
    }

    private static (string Path, string Anchor) SplitAnchor(string target)
    {
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? (target, string.Empty) : (target[..hash], target[(hash + 1)..]);
    }

    // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    private static HashSet<string> HeadingAnchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Heading().Matches(CodeBlock().Replace(markdown, string.Empty)))
        {
            var text = m.Groups["text"].Value.Trim().ToLowerInvariant();
            var slug = new string(text.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-');
            anchors.Add(slug);
        }

        return anchors;
    }

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
