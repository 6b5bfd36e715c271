using StreamDiffusion.Pipeline.Models.Tokenization;

namespace StreamDiffusion.Pipeline.Tests.Tokenization;

/// <summary>Locates the shared test data (../shared/data relative to the repository root).</summary>
internal static class ClipTestData
{
    private static readonly Lazy<string> s_root = new(FindSharedData);
    private static readonly Lazy<ClipTokenizer> s_realTokenizer = new(() => ClipTokenizer.FromDirectory(ClipDirectory));

    /// <summary>The real CLIP tokenizer folder (vocab.json, merges.txt, bpe_simple_vocab_16e6.txt.gz).</summary>
    public static string ClipDirectory => Path.Combine(s_root.Value, "clip");

    /// <summary>A tokenizer over the real vocabulary, loaded once for all tests (no special-token files: pad = EOS).</summary>
    public static ClipTokenizer Real => s_realTokenizer.Value;

    private static string FindSharedData() => TestPaths.SharedData;
}
