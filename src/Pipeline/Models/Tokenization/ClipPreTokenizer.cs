using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// CLIP's pre-tokenizer, <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// with IGNORECASE, evaluated on Unicode code points.
/// </summary>
/// <remarks>
/// Written by hand instead of using <see cref="RegexPreTokenizer"/> with the same pattern because .NET
/// regular expressions classify UTF-16 code units: a letter or digit outside the BMP (U+20000 CJK,
/// U+1D400 mathematical letters, U+1D7CF digits) is two surrogates there, so it lands in the
/// punctuation class instead of the letter run or the single-digit match Python's <c>regex</c> gives.
/// The regex alternatives are tried in order at each position, exactly like the pattern.
/// </remarks>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    private static readonly string[] s_specialTokens = ["<|startoftext|>", "<|endoftext|>"];

    public static ClipPreTokenizer Instance { get; } = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Split(text.AsSpan());
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    internal static List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int, int)>();
        int position = 0;
        while (position < text.Length)
        {
            var rest = text[position..];
            int length = MatchSpecial(rest);
            if (length == 0)
            {
                length = MatchContraction(rest);
            }

            if (length == 0)
            {
                var kind = Classify(rest, out int width);
                if (kind == CharKind.Space)
                {
                    position += width;
                    continue;
                }

                // [\p{N}] is a single code point; the letter and "other" classes are greedy runs.
                length = width;
                if (kind != CharKind.Number)
                {
                    while (position + length < text.Length
                        && Classify(text[(position + length)..], out int nextWidth) == kind)
                    {
                        length += nextWidth;
                    }
                }
            }

            pieces.Add((position, length));
            position += length;
        }

        return pieces;
    }

    private static int MatchSpecial(ReadOnlySpan<char> text)
    {
        foreach (var special in s_specialTokens)
        {
            if (text.StartsWith(special, StringComparison.OrdinalIgnoreCase))
            {
                return special.Length;
            }
        }

        return 0;
    }

    // 's 't 're 've 'm 'll 'd, case-insensitive with Python's simple case folding (which maps ſ to s).
    private static int MatchContraction(ReadOnlySpan<char> text)
    {
        if (text.Length < 2 || text[0] != '\'')
        {
            return 0;
        }

        char first = Fold(text[1]);
        char second = text.Length > 2 ? Fold(text[2]) : '\0';
        switch (first)
        {
            case 's' or 't' or 'm' or 'd':
                return 2;
            case 'r' or 'v' when second == 'e':
                return 3;
            case 'l' when second == 'l':
                return 3;
            default:
                return 0;
        }
    }

    private static char Fold(char c) => c == '\u017F' ? 's' : char.ToLowerInvariant(c);

    private enum CharKind
    {
        Space,
        Letter,
        Number,
        Other,
    }

    private static CharKind Classify(ReadOnlySpan<char> text, out int width)
    {
        if (Rune.DecodeFromUtf16(text, out var rune, out width) != System.Buffers.OperationStatus.Done)
        {
            // A lone surrogate is neither space, letter nor number.
            return CharKind.Other;
        }

        if (Rune.IsWhiteSpace(rune))
        {
            return CharKind.Space;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                => CharKind.Number,
            _ => CharKind.Other,
        };
    }
}
