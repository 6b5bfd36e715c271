using StreamDiffusion.Pipeline.Models.Tokenization;

namespace StreamDiffusion.Pipeline.Tests.Tokenization;

public class ClipTokenizerLoadingTests
{
    [Theory]
    [InlineData("{\"pad_token\": \"!\"}", 0)]
    [InlineData("{\"pad_token\": \"<|endoftext|>\"}", 49407)]
    [InlineData("{\"pad_token\": {\"content\": \"!\", \"lstrip\": false, \"normalized\": false}}", 0)]
    [InlineData("{\"pad_token\": {\"content\": \"<|endoftext|>\"}}", 49407)]
    [InlineData("{\"pad_token\": null}", 49407)]
    [InlineData("{\"bos_token\": \"<|startoftext|>\"}", 49407)]
    public void Pad_id_comes_from_special_tokens_map(string specialTokensMap, int expectedPad)
    {
        using var temp = RealVocabularyCopy();
        File.WriteAllText(Path.Combine(temp.Path, "special_tokens_map.json"), specialTokensMap);

        var tokenizer = ClipTokenizer.FromDirectory(temp.Path);

        Assert.Equal(expectedPad, tokenizer.PadId);
        Assert.Equal(49406, tokenizer.BosId);
        Assert.Equal(49407, tokenizer.EosId);
    }

    [Fact]
    public void Sd2_pack_pads_with_zero_after_the_real_ids()
    {
        using var temp = RealVocabularyCopy();
        File.WriteAllText(Path.Combine(temp.Path, "tokenizer_config.json"), "{\"pad_token\": \"!\", \"model_max_length\": 77}");
        var tokenizer = ClipTokenizer.FromDirectory(temp.Path);
        var ids = new long[ClipTokenizer.MaxLength];

        tokenizer.EncodePadded("a photo of a cat", ids);

        Assert.Equal(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407 }, ids[..7]);
        Assert.All(ids[7..], id => Assert.Equal(0, id));
        Assert.Equal("!", tokenizer.SpecialTokens.PadToken);
    }

    [Fact]
    public void Special_tokens_map_overrides_tokenizer_config()
    {
        using var temp = RealVocabularyCopy();
        File.WriteAllText(Path.Combine(temp.Path, "tokenizer_config.json"), "{\"pad_token\": \"!\"}");
        File.WriteAllText(Path.Combine(temp.Path, "special_tokens_map.json"), "{\"pad_token\": \"<|endoftext|>\"}");

        Assert.Equal(49407, ClipTokenizer.FromDirectory(temp.Path).PadId);
    }

    [Fact]
    public void Pad_token_outside_vocab_json_is_found_in_added_tokens_decoder()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: false);
        File.WriteAllText(Path.Combine(temp.Path, "special_tokens_map.json"), "{\"pad_token\": \"<pad>\"}");
        File.WriteAllText(
            Path.Combine(temp.Path, "tokenizer_config.json"),
            "{\"added_tokens_decoder\": {\"49408\": {\"content\": \"<pad>\", \"special\": true}}}");

        Assert.Equal(49408, ClipTokenizer.FromDirectory(temp.Path).PadId);
    }

    [Fact]
    public void Unknown_pad_token_names_the_file()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: false);
        File.WriteAllText(Path.Combine(temp.Path, "special_tokens_map.json"), "{\"pad_token\": \"<pad>\"}");
        File.Delete(Path.Combine(temp.Path, "tokenizer_config.json"));

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(temp.Path));

        Assert.Contains("pad_token", error.Message, StringComparison.Ordinal);
        Assert.Contains("special_tokens_map.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("<pad>", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vocab.json")]
    [InlineData("merges.txt")]
    public void Missing_file_is_named(string file)
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        File.Delete(Path.Combine(temp.Path, file));

        var error = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromDirectory(temp.Path));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vocab.json", "{\"a\": 1,")]
    [InlineData("vocab.json", "[1, 2, 3]")]
    [InlineData("vocab.json", "{\"a\": \"not a number\"}")]
    [InlineData("vocab.json", "{}")]
    [InlineData("special_tokens_map.json", "{not json")]
    [InlineData("special_tokens_map.json", "{\"pad_token\": 5}")]
    [InlineData("tokenizer_config.json", "[]")]
    public void Corrupt_json_file_is_named(string file, string content)
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        File.WriteAllText(Path.Combine(temp.Path, file), content);

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(temp.Path));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_merge_line_is_named_with_its_line_number()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        File.WriteAllText(Path.Combine(temp.Path, "merges.txt"), "#version: 0.2\na b c\n");

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(temp.Path));

        Assert.Contains("merges.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_of_tokens_outside_the_vocabulary_names_both_files()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        File.WriteAllText(Path.Combine(temp.Path, "merges.txt"), "#version: 0.2\nzz qq\n");

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(temp.Path));

        Assert.Contains("merges.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("vocab.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vocabulary_without_eos_is_rejected()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        File.WriteAllText(Path.Combine(temp.Path, "vocab.json"), "{\"!\": 0, \"<|startoftext|>\": 1}");
        File.Delete(Path.Combine(temp.Path, "special_tokens_map.json"));
        File.Delete(Path.Combine(temp.Path, "tokenizer_config.json"));

        var error = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromDirectory(temp.Path));

        Assert.Contains("eos_token", error.Message, StringComparison.Ordinal);
        Assert.Contains("vocab.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_folder_is_named()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-tokenizer-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromDirectory(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static TempDirectory RealVocabularyCopy()
    {
        // A scratch copy outside the repository, so special-token files can be added next to the real vocabulary.
        var temp = new TempDirectory();
        File.Copy(Path.Combine(ClipTestData.ClipDirectory, "vocab.json"), Path.Combine(temp.Path, "vocab.json"));
        File.Copy(Path.Combine(ClipTestData.ClipDirectory, "merges.txt"), Path.Combine(temp.Path, "merges.txt"));
        return temp;
    }
}
