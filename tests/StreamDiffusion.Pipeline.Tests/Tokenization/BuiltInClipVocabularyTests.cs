using System.Text.Json;
using StreamDiffusion.Pipeline.Models.Tokenization;

namespace StreamDiffusion.Pipeline.Tests.Tokenization;

public class BuiltInClipVocabularyTests
{
    [Fact]
    public void Entries_are_the_first_512_entries_of_the_real_clip_vocabulary()
    {
        var real = JsonSerializer.Deserialize<Dictionary<string, int>>(
            File.ReadAllText(Path.Combine(ClipTestData.ClipDirectory, "vocab.json")))!;
        var realById = real.Where(e => e.Value < BuiltInClipVocabulary.ByteTokenCount)
            .OrderBy(e => e.Value)
            .Select(e => (e.Key, e.Value))
            .ToArray();

        var builtIn = BuiltInClipVocabulary.Entries();

        Assert.Equal(514, builtIn.Count);
        Assert.Equal(realById, builtIn.Take(BuiltInClipVocabulary.ByteTokenCount).Select(e => (e.Key, e.Value)));
        Assert.Equal(("<|startoftext|>", 49406), (builtIn[512].Key, builtIn[512].Value));
        Assert.Equal(("<|endoftext|>", 49407), (builtIn[513].Key, builtIn[513].Value));
        Assert.Equal(49406, real["<|startoftext|>"]);
        Assert.Equal(49407, real["<|endoftext|>"]);
    }

    [Fact]
    public void Byte_tokens_follow_gpt2_bytes_to_unicode()
    {
        var entries = BuiltInClipVocabulary.Entries();

        Assert.Equal("!", entries[0].Key);           // printable ASCII first
        Assert.Equal("~", entries[93].Key);
        Assert.Equal("\u00A1", entries[94].Key);     // then ¡..¬
        Assert.Equal("\u00AE", entries[106].Key);    // then ®..ÿ
        Assert.Equal("\u00FF", entries[187].Key);
        Assert.Equal("\u0100", entries[188].Key);    // byte 0x00 shifted to U+0100
        Assert.Equal("\u0120", entries[220].Key);    // the space byte (0x20) is U+0120 'Ġ'
        Assert.Equal("a</w>", entries[320].Key);     // id 320 is "a</w>" in real CLIP too
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 49407)]
    public void Written_folder_loads_with_the_requested_pad(bool padWithExclamation, int expectedPad)
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation);

        var tokenizer = ClipTokenizer.FromDirectory(temp.Path);

        Assert.Equal(49406, tokenizer.BosId);
        Assert.Equal(49407, tokenizer.EosId);
        Assert.Equal(expectedPad, tokenizer.PadId);
        Assert.Equal(514, tokenizer.VocabularySize);
        Assert.True(File.Exists(Path.Combine(temp.Path, "special_tokens_map.json")));
        Assert.True(File.Exists(Path.Combine(temp.Path, "tokenizer_config.json")));
        Assert.StartsWith("#version: 0.2", File.ReadAllText(Path.Combine(temp.Path, "merges.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_byte_becomes_its_own_token()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        var tokenizer = ClipTokenizer.FromDirectory(temp.Path);

        // "a" ends its word: a</w> = 256 + 64; "cat" = c, a, t</w>; "é" = bytes C3 A9 = 'Ã' (127), '©'</w> (256 + 102).
        var tokens = tokenizer.Tokenize("A cat, \u00E9!");

        Assert.Equal(new[] { 49406, 320, 66, 64, 339, 267, 127, 358, 256, 49407 }, tokens.Ids);
    }

    [Fact]
    public void Built_in_tokenizer_pads_sd2_style_with_zero()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: true);
        var tokenizer = ClipTokenizer.FromDirectory(temp.Path);
        var ids = new long[ClipTokenizer.MaxLength];

        tokenizer.EncodePadded("hi", ids); // h = 71, i</w> = 256 + 72

        Assert.Equal(new long[] { 49406, 71, 328, 49407 }, ids[..4]);
        Assert.All(ids[4..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void Built_in_tokenizer_truncates_long_text()
    {
        using var temp = new TempDirectory();
        BuiltInClipVocabulary.WriteTo(temp.Path, padWithExclamation: false);
        var tokenizer = ClipTokenizer.FromDirectory(temp.Path);

        var tokens = tokenizer.Tokenize(new string('x', 200));

        Assert.True(tokens.Truncated);
        Assert.Equal(77, tokens.Count);
        Assert.Equal(49407, tokens.Ids[^1]);
        Assert.All(tokens.Ids.Skip(1).Take(75), id => Assert.Equal(87, id)); // 'x' without </w>
    }
}
