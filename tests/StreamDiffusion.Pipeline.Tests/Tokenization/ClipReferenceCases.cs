namespace StreamDiffusion.Pipeline.Tests.Tokenization;

/// <summary>
/// Expected CLIP ids from an independent Python re-implementation of OpenAI's simple_tokenizer that
/// reads the original merge list (bpe_simple_vocab_16e6.txt.gz), not the vocab.json/merges.txt the
/// C# tokenizer loads. Regenerate with <c>python3 tests/tools/clip_reference.py --csharp</c> and paste.
/// </summary>
internal static class ClipReferenceCases
{
    public static IReadOnlyDictionary<string, ClipReferenceCase> All { get; } = new Dictionary<string, ClipReferenceCase>
    {
        ["Resolution"] = new("1024x768", false, [49406, 272, 271, 273, 275, 343, 278, 277, 279, 49407]),
        ["Year"] = new("in 2024", false, [49406, 530, 273, 271, 273, 275, 49407]),
        ["Contractions"] = new("it's don't you'll we're I'VE they'd I'm", false, [49406, 585, 568, 847, 713, 592, 1342, 649, 982, 328, 1200, 889, 1896, 328, 880, 49407]),
        ["UpperContractions"] = new("IT'S WE'LL", false, [49406, 585, 568, 649, 1342, 49407]),
        ["LongSContraction"] = new("it'\u017F", false, [49406, 585, 6, 129, 379, 49407]),
        ["PunctuationRuns"] = new("wow!!! wait... really?!", false, [49406, 2781, 995, 1885, 678, 1414, 2835, 49407]),
        ["Underscores"] = new("snake_case_name", false, [49406, 8798, 318, 2068, 318, 1981, 49407]),
        ["Accents"] = new("caf\u00E9 na\u00EFve r\u00E9sum\u00E9", false, [49406, 15304, 1097, 35689, 563, 29106, 7054, 4166, 49407]),
        ["DecomposedAccents"] = new("cafe\u0301", false, [49406, 15304, 49407]),
        ["DecomposedVietnamese"] = new("tie\u0301\u0302ng vie\u0302\u0323t", false, [49406, 555, 4166, 136, 480, 5215, 603, 157, 119, 229, 339, 49407]),
        ["HangulJamo"] = new("\u1112\u1161\u11AB\u1100\u1173\u11AF", false, [49406, 15197, 250, 32495, 478, 49407]),
        ["Japanese"] = new("\u6771\u4EAC", false, [49406, 48338, 21078, 361, 49407]),
        ["Russian"] = new("\u041C\u043E\u0441\u043A\u0432\u0430", false, [49406, 38018, 13506, 23669, 27152, 39813, 27080, 49407]),
        ["Emoji"] = new("\U0001F525\U0001F431", false, [49406, 3191, 22979, 49407]),
        ["EmojiBetweenWords"] = new("fire\U0001F525cat \U0001F431!", false, [49406, 1769, 3016, 2368, 35710, 256, 49407]),
        ["Whitespace"] = new("  a \u0009 photo\u000A\u000Aof   a\u000D\u000Acat\u00A0 \u3000 ", false, [49406, 320, 1125, 539, 320, 2368, 49407]),
        ["HtmlEntities"] = new("salt &amp; pepper &lt;3 &quot;hi&quot; &amp;amp; it&#39;s", false, [49406, 6611, 261, 8253, 283, 274, 257, 1883, 257, 261, 585, 568, 49407]),
        ["MixedCase"] = new("A PhOtO Of A CaT", false, [49406, 320, 1125, 539, 320, 2368, 49407]),
        ["SpecialTokenText"] = new("a <|endoftext|> b <|startoftext|>", false, [49406, 320, 49407, 321, 49406, 49407]),
        ["SpecialTokenAfterPunctuation"] = new("x!<|endoftext|> <|ENDOFTEXT|>", false, [49406, 343, 0, 27, 347, 40786, 4160, 91, 285, 49407, 49407]),
        ["AstralLetters"] = new("\U00020000x \U0001D400bc \U0001D7CF2", false, [49406, 172, 254, 222, 222, 343, 15889, 222, 2162, 6874, 253, 493, 273, 49407]),
        ["Greek"] = new("\u039F\u0394\u039F\u03A3 \u03B1\u03B2\u03B3", false, [49406, 138, 123, 138, 112, 138, 123, 139, 480, 138, 109, 138, 110, 138, 367, 49407]),
        ["DottedCapitalI"] = new("\u0130stanbul", false, [49406, 328, 16384, 11231, 49407]),
        ["ControlSeparators"] = new("\u001C a\u001Cb \u001F c\u001F", false, [49406, 320, 472, 321, 475, 322, 49407]),
        ["Empty"] = new("", false, [49406, 49407]),
        ["OnlySpaces"] = new("   \u0009\u000A ", false, [49406, 49407]),
        ["Long"] = new(string.Join(" ", Enumerable.Repeat("a photo of an astronaut riding a horse on mars", 8)), true, [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 320, 1125, 539, 550, 18376, 49407]),
        ["Exactly75"] = new(string.Join(" ", Enumerable.Repeat("cat", 75)), false, [49406, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 49407]),
        ["Exactly76"] = new(string.Join(" ", Enumerable.Repeat("cat", 76)), true, [49406, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 49407]),
    };

    public static TheoryData<string> Names
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (var name in All.Keys)
            {
                names.Add(name);
            }

            return names;
        }
    }
}
