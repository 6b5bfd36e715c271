using System.Text.Json;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Synthetic;

/// <summary>File-level behaviour of <see cref="SyntheticPackWriter"/>: determinism, safe replacement, tokenizer files.</summary>
public sealed class SyntheticPackWriterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sd-synthetic-writer-" + Guid.NewGuid().ToString("N"));

    public SyntheticPackWriterTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Same_seed_gives_identical_models_and_another_seed_different_weights()
    {
        var options = new SyntheticPackOptions { ImageSize = 64, Taesd = true };
        SyntheticPackWriter.Write(Path.Combine(_root, "a"), options);
        SyntheticPackWriter.Write(Path.Combine(_root, "b"), options);
        SyntheticPackWriter.Write(Path.Combine(_root, "c"), options with { Seed = options.Seed + 1 });

        foreach (var model in new[] { "text_encoder", "unet", "vae_encoder", "vae_decoder", "taesd_encoder", "taesd_decoder" })
        {
            var a = File.ReadAllBytes(Path.Combine(_root, "a", model, "model.onnx"));
            Assert.Equal(a, File.ReadAllBytes(Path.Combine(_root, "b", model, "model.onnx")));
            Assert.NotEqual(a, File.ReadAllBytes(Path.Combine(_root, "c", model, "model.onnx")));
        }
    }

    [Fact]
    public void Rewriting_replaces_a_previous_pack_and_leaves_no_staging_folders()
    {
        var target = Path.Combine(_root, "pack");
        SyntheticPackWriter.Write(target, new SyntheticPackOptions { ImageSize = 64, Taesd = true });
        Assert.True(File.Exists(Path.Combine(target, "taesd_encoder", "model.onnx")));

        SyntheticPackWriter.Write(target, new SyntheticPackOptions { ImageSize = 64, Family = SyntheticFamily.Sd15 });
        Assert.False(Directory.Exists(Path.Combine(target, "taesd_encoder")));
        Assert.Contains("Sd15", File.ReadAllText(Path.Combine(target, SyntheticPackWriter.MarkerFileName)), StringComparison.Ordinal);
        Assert.Equal(["pack"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Writing_into_an_empty_folder_works_but_a_foreign_folder_is_refused()
    {
        var empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        SyntheticPackWriter.Write(empty, new SyntheticPackOptions { ImageSize = 64 });
        Assert.True(File.Exists(Path.Combine(empty, "unet", "model.onnx")));

        var foreign = Path.Combine(_root, "real-pack");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "model_index.json"), "{}");
        var error = Assert.Throws<IOException>(() => SyntheticPackWriter.Write(foreign, new SyntheticPackOptions { ImageSize = 64 }));
        Assert.Contains(SyntheticPackWriter.MarkerFileName, error.Message, StringComparison.Ordinal);
        Assert.Equal(["model_index.json"], Directory.GetFileSystemEntries(foreign).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Invalid_options_are_rejected(int imageSize)
    {
        Assert.Throws<ArgumentException>(() => SyntheticPackWriter.Write(Path.Combine(_root, "bad"), new SyntheticPackOptions { ImageSize = imageSize }));
        Assert.False(Directory.Exists(Path.Combine(_root, "bad")));
    }

    [Fact]
    public void Built_in_vocabulary_has_clip_byte_ids_and_specials()
    {
        var target = Path.Combine(_root, "vocab");
        SyntheticPackWriter.Write(target, new SyntheticPackOptions { ImageSize = 64 });
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(target, "tokenizer", "vocab.json")))!;

        Assert.Equal(514, vocab.Count);
        Assert.Equal(0, vocab["!"]);
        Assert.Equal(93, vocab["~"]);
        Assert.Equal(94, vocab["¡"]);
        Assert.Equal(188, vocab["Ā"]); // byte 0, the first non-printable byte
        Assert.Equal(256 + 64, vocab["a</w>"]); // 'a' is 0x61 → index 0x61 − 0x21 = 64
        Assert.Equal(49406, vocab["<|startoftext|>"]);
        Assert.Equal(49407, vocab["<|endoftext|>"]);
        Assert.Equal(Enumerable.Range(0, 512), vocab.Values.Where(v => v < 512).Order());
        Assert.Equal("#version: 0.2", File.ReadAllText(Path.Combine(target, "tokenizer", "merges.txt")).Trim());
    }

    [Fact]
    public void Tokenizer_source_is_copied()
    {
        var target = Path.Combine(_root, "clip");
        SyntheticPackWriter.Write(target, new SyntheticPackOptions { ImageSize = 64, TokenizerSource = SyntheticTestData.ClipFolder });
        foreach (var file in new[] { "vocab.json", "merges.txt" })
        {
            Assert.Equal(
                File.ReadAllBytes(Path.Combine(SyntheticTestData.ClipFolder, file)),
                File.ReadAllBytes(Path.Combine(target, "tokenizer", file)));
        }
    }
}
