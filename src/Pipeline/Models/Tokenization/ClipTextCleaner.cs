using System.Globalization;
using System.Net;
using System.Text;

namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// The text clean-up CLIP's reference tokenizer applies before pre-tokenization, reproduced with
/// Python's semantics: <c>html.unescape</c> twice, <c>str.strip()</c>, runs of Unicode White_Space
/// collapsed to one space, <c>strip()</c> again, then <c>str.lower()</c>.
/// </summary>
/// <remarks>
/// Python's <c>str.lower()</c> differs from .NET's invariant lower-casing in two places that matter
/// here: U+0130 (İ) becomes "i" + U+0307, and a capital sigma at the end of a word becomes ς. The
/// invariant-globalization runtime this project uses also leaves U+0130 unchanged, so lower-casing is
/// done here rather than by Microsoft.ML.Tokenizers' LowerCaseNormalizer.
/// ftfy's repairs are not reproduced except NFC (see <see cref="ClipNfc"/>).
/// </remarks>
internal static class ClipTextCleaner
{
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ClipNfc.Normalize(text);
        if (text.Contains('&', StringComparison.Ordinal))
        {
            // CLIP unescapes twice so that doubly-escaped entities ("&amp;amp;") also come out plain.
            text = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text));
        }

        var span = TrimPythonSpace(text.AsSpan());
        var builder = new StringBuilder(span.Length);
        bool inWhitespace = false;
        foreach (var rune in span.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                // Rune.IsWhiteSpace is exactly Unicode White_Space, which is what `regex`'s \s matches.
                if (!inWhitespace)
                {
                    builder.Append(' ');
                }

                inWhitespace = true;
            }
            else
            {
                builder.Append(rune);
                inWhitespace = false;
            }
        }

        var collapsed = TrimPythonSpace(builder.ToString().AsSpan());
        return PythonLower(collapsed);
    }

    /// <summary>Python's str.isspace: Unicode White_Space plus the separators U+001C..U+001F.</summary>
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    private static ReadOnlySpan<char> TrimPythonSpace(ReadOnlySpan<char> text)
    {
        int start = 0;
        int end = text.Length;
        while (start < end && IsPythonSpace(text[start]))
        {
            start++;
        }

        while (end > start && IsPythonSpace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    /// <summary>Python 3's str.lower(): simple lower-case mapping plus U+0130 and Final_Sigma.</summary>
    internal static string PythonLower(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length);
        int index = 0;
        while (index < text.Length)
        {
            Rune.DecodeFromUtf16(text[index..], out var rune, out int consumed);
            if (rune.Value == 0x0130)
            {
                builder.Append('i').Append('\u0307');
            }
            else if (rune.Value == 0x03A3)
            {
                builder.Append(IsFinalSigma(text, index) ? '\u03C2' : '\u03C3');
            }
            else if (consumed == 1 && char.IsSurrogate(text[index]))
            {
                // A lone surrogate has no case; keep it as it is.
                builder.Append(text[index]);
            }
            else
            {
                builder.Append(Rune.ToLowerInvariant(rune));
            }

            index += consumed;
        }

        return builder.ToString();
    }

    /// <summary>
    /// Unicode's Final_Sigma condition as Python applies it: preceded by a cased letter and not followed by
    /// one, skipping case-ignorable characters on both sides.
    /// </summary>
    private static bool IsFinalSigma(ReadOnlySpan<char> text, int sigmaIndex)
    {
        int i = sigmaIndex;
        bool casedBefore = false;
        while (i > 0)
        {
            Rune.DecodeLastFromUtf16(text[..i], out var previous, out int width);
            i -= width;
            if (IsCaseIgnorable(previous))
            {
                continue;
            }

            casedBefore = IsCased(previous);
            break;
        }

        if (!casedBefore)
        {
            return false;
        }

        i = sigmaIndex + 1;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text[i..], out var next, out int width);
            i += width;
            if (IsCaseIgnorable(next))
            {
                continue;
            }

            return !IsCased(next);
        }

        return true;
    }

    private static bool IsCased(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter;
    }

    private static bool IsCaseIgnorable(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol)
        {
            return true;
        }

        // Word_Break MidLetter / MidNumLet / Single_Quote characters.
        return rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }
}
