using StreamDiffusion.Pipeline.Models.Tokenization;

namespace StreamDiffusion.Pipeline.Tests.Tokenization;

public class ClipTokenizerReferenceTests
{
    [Theory]
    [InlineData("a photo of an astronaut riding a horse on mars", new[] { 49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407 })]
    [InlineData("a photo of a cat", new[] { 49406, 320, 1125, 539, 320, 2368, 49407 })]
    public void Known_prompts_give_the_published_ids(string text, int[] expected)
    {
        var tokens = ClipTestData.Real.Tokenize(text);

        Assert.Equal(expected, tokens.Ids);
        Assert.False(tokens.Truncated);
    }

    [Theory]
    [MemberData(nameof(ClipReferenceCases.Names), MemberType = typeof(ClipReferenceCases))]
    public void Matches_the_python_reference(string name)
    {
        var expected = ClipReferenceCases.All[name];

        var tokens = ClipTestData.Real.Tokenize(expected.Text);

        Assert.Equal(expected.Ids, tokens.Ids);
        Assert.Equal(expected.Truncated, tokens.Truncated);
    }

    [Fact]
    public void Special_ids_of_the_real_vocabulary()
    {
        var tokenizer = ClipTestData.Real;

        Assert.Equal(49406, tokenizer.BosId);
        Assert.Equal(49407, tokenizer.EosId);
        Assert.Equal(49407, tokenizer.PadId); // no special-token files next to the shared vocab: EOS
        Assert.Equal(49408, tokenizer.VocabularySize);
    }

    [Fact]
    public void Long_prompt_is_cut_to_77_with_eos_last()
    {
        string text = string.Join(" ", Enumerable.Repeat("a photo of an astronaut riding a horse on mars", 8));

        var tokens = ClipTestData.Real.Tokenize(text);

        Assert.True(tokens.Truncated);
        Assert.Equal(ClipTokenizer.MaxLength, tokens.Count);
        Assert.Equal(49406, tokens.Ids[0]);
        Assert.Equal(49407, tokens.Ids[^1]);
        Assert.DoesNotContain(49407, tokens.Ids.Take(76));
    }

    [Fact]
    public void Seventy_five_content_tokens_fit_and_seventy_six_do_not()
    {
        var fits = ClipTestData.Real.Tokenize(string.Join(" ", Enumerable.Repeat("cat", 75)));
        var cut = ClipTestData.Real.Tokenize(string.Join(" ", Enumerable.Repeat("cat", 76)));

        Assert.False(fits.Truncated);
        Assert.Equal(77, fits.Count);
        Assert.True(cut.Truncated);
        Assert.Equal(77, cut.Count);
        Assert.Equal(fits.Ids, cut.Ids);
    }

    [Fact]
    public void Padded_long_ids_fill_with_the_pad_id()
    {
        Span<long> ids = stackalloc long[ClipTokenizer.MaxLength];

        ClipTestData.Real.EncodePadded("a photo of a cat", ids);

        Assert.Equal(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407 }, ids[..7].ToArray());
        foreach (long id in ids[7..])
        {
            Assert.Equal(49407, id);
        }
    }

    [Fact]
    public void Padded_int_ids_match_the_long_overload()
    {
        var longs = new long[ClipTokenizer.MaxLength];
        var ints = new int[ClipTokenizer.MaxLength];

        ClipTestData.Real.EncodePadded("snake_case_name 1024x768 \U0001F525", longs);
        ClipTestData.Real.EncodePadded("snake_case_name 1024x768 \U0001F525", ints);

        Assert.Equal(longs, ints.Select(i => (long)i));
    }

    [Fact]
    public void Padded_destination_must_hold_exactly_77_ids()
    {
        var shortBuffer = new long[76];

        var error = Assert.Throws<ArgumentException>(() => ClipTestData.Real.EncodePadded("cat", shortBuffer));
        Assert.Contains("77", error.Message, StringComparison.Ordinal);
    }
}
