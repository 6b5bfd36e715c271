using Microsoft.ML.Tokenizers;

namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// CLIP's tokenizer for Stable Diffusion text encoders, matching OpenAI's reference
/// (<c>clip/simple_tokenizer.py</c>) id for id: HTML unescape, whitespace clean-up and Python
/// lower-casing, the CLIP pre-tokenizer (per-digit numbers, <c>'s</c>/<c>'t</c>/... contractions),
/// byte-level BPE with the <c>&lt;/w&gt;</c> end-of-word suffix, BOS/EOS around the ids, truncation
/// to 77 ids and padding with the pack's pad token.
/// </summary>
/// <remarks>
/// BPE itself is Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>; the text clean-up and the
/// pre-tokenizer are done here because the library's lower-casing and .NET regular expressions differ
/// from Python on a few characters (see <see cref="ClipTextCleaner"/> and <see cref="ClipPreTokenizer"/>).
/// Instances are immutable and safe to share between threads.
/// </remarks>
public sealed class ClipTokenizer
{
    /// <summary>CLIP's context length: every text encoder input is exactly this many ids.</summary>
    public const int MaxLength = 77;

    /// <summary>Content tokens that fit between BOS and EOS.</summary>
    private const int MaxContentTokens = MaxLength - 2;

    private readonly BpeTokenizer _bpe;

    private ClipTokenizer(BpeTokenizer bpe, ClipSpecialTokens specialTokens, int vocabularySize)
    {
        _bpe = bpe;
        SpecialTokens = specialTokens;
        VocabularySize = vocabularySize;
    }

    /// <summary>Id of the beginning-of-text token (49406 for CLIP).</summary>
    public int BosId => SpecialTokens.BosId;

    /// <summary>Id of the end-of-text token (49407 for CLIP).</summary>
    public int EosId => SpecialTokens.EosId;

    /// <summary>Id used to pad to <see cref="MaxLength"/>: 0 (<c>!</c>) for SD 2.x, 49407 for SD 1.x.</summary>
    public int PadId => SpecialTokens.PadId;

    /// <summary>The special tokens read from the tokenizer folder.</summary>
    public ClipSpecialTokens SpecialTokens { get; }

    /// <summary>Number of entries in vocab.json.</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// Loads a Hugging Face CLIP tokenizer folder: <c>vocab.json</c>, <c>merges.txt</c> and, when present,
    /// <c>special_tokens_map.json</c> / <c>tokenizer_config.json</c> for the BOS/EOS/pad tokens (pad defaults to EOS).
    /// </summary>
    /// <param name="tokenizerDir">The pack's <c>tokenizer/</c> folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">vocab.json or merges.txt is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or names a token that is not in the vocabulary.</exception>
    public static ClipTokenizer FromDirectory(string tokenizerDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerDir);
        if (!Directory.Exists(tokenizerDir))
        {
            throw new DirectoryNotFoundException(
                $"Tokenizer folder '{tokenizerDir}' does not exist: expected a folder with vocab.json and merges.txt.");
        }

        string vocabPath = Path.Combine(tokenizerDir, ClipTokenizerFiles.VocabFile);
        string mergesPath = Path.Combine(tokenizerDir, ClipTokenizerFiles.MergesFile);
        var vocab = ClipTokenizerFiles.ReadVocabulary(vocabPath);
        var merges = ClipTokenizerFiles.ReadMerges(mergesPath);
        var specialTokens = ClipTokenizerFiles.ReadSpecialTokens(tokenizerDir, vocab, vocabPath);

        // The CLIP pattern hard-codes these two strings; typed into a prompt they map to their ids.
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in new[] { BuiltInClipVocabulary.StartOfText, BuiltInClipVocabulary.EndOfText })
        {
            if (vocab.TryGetValue(name, out int id))
            {
                specials[name] = id;
            }
        }

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                SpecialTokens = specials,
                PreTokenizer = ClipPreTokenizer.Instance,
                Normalizer = null, // ClipTextCleaner lower-cases with Python's rules before encoding.
                EndOfWordSuffix = BuiltInClipVocabulary.EndOfWordSuffix,
                ByteLevel = true,
                UnknownToken = specialTokens.EosToken,
            });
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(
                $"Tokenizer files '{vocabPath}' and '{mergesPath}' do not form a BPE tokenizer: expected every merge to combine vocabulary tokens ({ex.Message}).",
                ex);
        }

        return new ClipTokenizer(bpe, specialTokens, vocab.Count);
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/>: BOS, the content ids, EOS; cut to <see cref="MaxLength"/> ids
    /// (keeping EOS last) when longer.
    /// </summary>
    public ClipTokens Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var content = EncodeContent(text);
        bool truncated = content.Count > MaxContentTokens;
        int kept = Math.Min(content.Count, MaxContentTokens);
        var ids = new int[kept + 2];
        ids[0] = BosId;
        for (int i = 0; i < kept; i++)
        {
            ids[i + 1] = content[i];
        }

        ids[^1] = EosId;
        return new ClipTokens(ids, truncated);
    }

    /// <summary>
    /// Writes the <see cref="MaxLength"/> text-encoder input ids for <paramref name="text"/> into
    /// <paramref name="destination"/>, padded with <see cref="PadId"/>.
    /// Use <see cref="Tokenize"/> to learn whether the text was truncated.
    /// </summary>
    public void EncodePadded(string text, Span<long> destination)
    {
        RequireLength(destination.Length, nameof(destination));
        var tokens = Tokenize(text);
        destination.Fill(PadId);
        for (int i = 0; i < tokens.Ids.Count; i++)
        {
            destination[i] = tokens.Ids[i];
        }
    }

    /// <summary>
    /// Writes the <see cref="MaxLength"/> text-encoder input ids for <paramref name="text"/> into
    /// <paramref name="destination"/> (for encoders exported with int32 ids), padded with <see cref="PadId"/>.
    /// </summary>
    public void EncodePadded(string text, Span<int> destination)
    {
        RequireLength(destination.Length, nameof(destination));
        var tokens = Tokenize(text);
        destination.Fill(PadId);
        for (int i = 0; i < tokens.Ids.Count; i++)
        {
            destination[i] = tokens.Ids[i];
        }
    }

    private IReadOnlyList<int> EncodeContent(string text)
    {
        string cleaned = ClipTextCleaner.Clean(text);
        return cleaned.Length == 0 ? [] : _bpe.EncodeToIds(cleaned);
    }

    private static void RequireLength(int length, string paramName)
    {
        if (length != MaxLength)
        {
            throw new ArgumentException($"Destination must hold exactly {MaxLength} ids, got {length}.", paramName);
        }
    }
}
