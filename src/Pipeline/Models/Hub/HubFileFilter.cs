namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>Glob matching for choosing which repository files to pull (rules on <see cref="PullOptions"/>).</summary>
public static class HubFileFilter
{
    /// <summary>Keeps the entries the options select, in their listing order.</summary>
    public static IReadOnlyList<HubFileEntry> Select(IEnumerable<HubFileEntry> entries, PullOptions options)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(options);
        var include = options.Include;
        var exclude = options.EffectiveExclude;
        return entries
            .Where(e => (include.Count == 0 || include.Any(p => IsMatch(p, e.Path))) && !exclude.Any(p => IsMatch(p, e.Path)))
            .ToList();
    }

    /// <summary>True when <paramref name="path"/> ('/'-separated) matches the glob <paramref name="pattern"/>.</summary>
    public static bool IsMatch(string pattern, string path)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(path);
        pattern = pattern.Trim().TrimStart('/');
        if (pattern.Length == 0)
        {
            return false;
        }

        // Like .gitignore: a bare name pattern applies to the file name wherever the file sits.
        var subject = pattern.Contains('/', StringComparison.Ordinal) ? path : path[(path.LastIndexOf('/') + 1)..];
        return Match(pattern.AsSpan(), subject.AsSpan());
    }

    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s)
    {
        while (p.Length > 0)
        {
            var c = p[0];
            if (c == '*')
            {
                var crossesSlash = p.Length > 1 && p[1] == '*';
                var rest = p[(crossesSlash ? 2 : 1)..];

                // "**/" also matches zero folders.
                if (crossesSlash && rest.Length > 0 && rest[0] == '/' && Match(rest[1..], s))
                {
                    return true;
                }

                for (var i = 0; i <= s.Length; i++)
                {
                    if (Match(rest, s[i..]))
                    {
                        return true;
                    }

                    if (i < s.Length && s[i] == '/' && !crossesSlash)
                    {
                        return false;
                    }
                }

                return false;
            }

            if (s.Length == 0)
            {
                return false;
            }

            if (c == '?' ? s[0] == '/' : char.ToLowerInvariant(c) != char.ToLowerInvariant(s[0]))
            {
                return false;
            }

            p = p[1..];
            s = s[1..];
        }

        return s.Length == 0;
    }
}
