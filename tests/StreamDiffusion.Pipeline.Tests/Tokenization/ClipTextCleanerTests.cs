using StreamDiffusion.Pipeline.Models.Tokenization;

namespace StreamDiffusion.Pipeline.Tests.Tokenization;

/// <summary>String-level checks of the clean-up steps; expected values are Python 3.11's results.</summary>
public class ClipTextCleanerTests
{
    [Theory]
    [InlineData("tie\u0301\u0302ng", "ti\u00E9\u0302ng")]     // second mark has no composite with é
    [InlineData("\u1112\u1161\u11AB", "\uD55C")]              // Hangul jamo L V T → 한
    [InlineData("A\u030A\u0323", "\u1EA0\u030A")]             // marks reordered by combining class first
    [InlineData("e\u0323\u0302", "\u1EC7")]                   // two-step composition
    [InlineData("\u212B", "\u00C5")]                          // singleton decomposition (Angstrom sign)
    [InlineData("\u0958", "\u0915\u093C")]                    // composition exclusion stays decomposed
    [InlineData("plain ascii", "plain ascii")]
    public void Nfc_matches_python_unicodedata(string input, string expected)
    {
        Assert.Equal(expected, ClipNfc.Normalize(input));
    }

    [Theory]
    [InlineData("\u039F\u0394\u039F\u03A3 \u03A3\u0391\u03A3 \u03A3", "\u03BF\u03B4\u03BF\u03C2 \u03C3\u03B1\u03C2 \u03C3")]
    [InlineData("\u038C\u03A3\u039F\u03A3'\u03A3.", "\u03CC\u03C3\u03BF\u03C3'\u03C2.")]
    [InlineData("\u0130STANBUL", "i\u0307stanbul")]
    [InlineData("\u041C\u041E\u0421\u041A\u0412\u0410 \U00010400", "\u043C\u043E\u0441\u043A\u0432\u0430 \U00010428")]
    public void Lower_casing_matches_python_str_lower(string input, string expected)
    {
        Assert.Equal(expected, ClipTextCleaner.PythonLower(input));
    }

    [Fact]
    public void Clean_unescapes_twice_collapses_whitespace_and_lower_cases()
    {
        Assert.Equal("salt & pepper", ClipTextCleaner.Clean("  Salt &amp;amp;\t\nPEPPER\u001C "));
    }

    [Theory]
    [InlineData("it's 2024!!", new[] { "it", "'s", "2", "0", "2", "4", "!!" })]
    [InlineData("x!<|endoftext|>", new[] { "x", "!<|", "endoftext", "|>" })]
    [InlineData("<|endoftext|>a", new[] { "<|endoftext|>", "a" })]
    [InlineData("\U00020000x \U0001D7CF2", new[] { "\U00020000x", "\U0001D7CF", "2" })]
    [InlineData("snake_case", new[] { "snake", "_", "case" })]
    public void Pre_tokenizer_follows_the_clip_pattern(string text, string[] expected)
    {
        var pieces = ClipPreTokenizer.Split(text).Select(p => text.Substring(p.Offset, p.Length));

        Assert.Equal(expected, pieces);
    }
}
