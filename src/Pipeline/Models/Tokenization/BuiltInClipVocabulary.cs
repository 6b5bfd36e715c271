using System.Text.Encodings.Web;
using System.Text.Json;

namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// Writes a tiny CLIP-compatible tokenizer folder for synthetic model packs: the first 512 entries of
/// CLIP's real vocabulary (the 256 byte characters, then the same with <c>&lt;/w&gt;</c>), the two
/// special tokens at their real ids (49406, 49407) and no merges. Every byte of a prompt becomes its
/// own token, so ids stay within the real CLIP id space and a real text encoder could read them.
/// </summary>
public static class BuiltInClipVocabulary
{
    /// <summary>Number of ordinary (non-special) entries written: 256 bytes + 256 end-of-word bytes.</summary>
    public const int ByteTokenCount = 512;

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c> in CLIP's vocabulary.</summary>
    public const int StartOfTextId = 49406;

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> in CLIP's vocabulary.</summary>
    public const int EndOfTextId = 49407;

    internal const string StartOfText = "<|startoftext|>";
    internal const string EndOfText = "<|endoftext|>";
    internal const string EndOfWordSuffix = "</w>";

    private static readonly JsonSerializerOptions s_indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The vocabulary written by <see cref="WriteTo"/>, in id order (514 entries).</summary>
    public static IReadOnlyList<KeyValuePair<string, int>> Entries()
    {
        var entries = new List<KeyValuePair<string, int>>(ByteTokenCount + 2);
        var bytes = ClipByteAlphabet.Tokens;
        for (int i = 0; i < bytes.Count; i++)
        {
            entries.Add(new(bytes[i], i));
        }

        for (int i = 0; i < bytes.Count; i++)
        {
            entries.Add(new(bytes[i] + EndOfWordSuffix, bytes.Count + i));
        }

        entries.Add(new(StartOfText, StartOfTextId));
        entries.Add(new(EndOfText, EndOfTextId));
        return entries;
    }

    /// <summary>
    /// Writes vocab.json, merges.txt, special_tokens_map.json and tokenizer_config.json into
    /// <paramref name="tokenizerDir"/> (created if needed).
    /// </summary>
    /// <param name="tokenizerDir">The pack's <c>tokenizer/</c> folder.</param>
    /// <param name="padWithExclamation">
    /// true for the SD 2.x / sd-turbo convention (pad with <c>!</c>, id 0); false for SD 1.x (pad with
    /// <c>&lt;|endoftext|&gt;</c>, id 49407).
    /// </param>
    public static void WriteTo(string tokenizerDir, bool padWithExclamation)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerDir);
        Directory.CreateDirectory(tokenizerDir);

        var vocab = new Dictionary<string, int>(ByteTokenCount + 2, StringComparer.Ordinal);
        foreach (var (token, id) in Entries())
        {
            vocab.Add(token, id);
        }

        File.WriteAllText(Path.Combine(tokenizerDir, "vocab.json"), JsonSerializer.Serialize(vocab, s_indented));
        // No merges: byte-level BPE then leaves every byte as its own token.
        File.WriteAllText(Path.Combine(tokenizerDir, "merges.txt"), "#version: 0.2\n");

        string pad = padWithExclamation ? "!" : EndOfText;
        // special_tokens_map.json in the object form real SD repos use; tokenizer_config.json with plain strings.
        var specialTokensMap = new Dictionary<string, object>
        {
            ["bos_token"] = SpecialTokenObject(StartOfText),
            ["eos_token"] = SpecialTokenObject(EndOfText),
            ["pad_token"] = SpecialTokenObject(pad),
            ["unk_token"] = SpecialTokenObject(EndOfText),
        };
        File.WriteAllText(
            Path.Combine(tokenizerDir, "special_tokens_map.json"),
            JsonSerializer.Serialize(specialTokensMap, s_indented));

        var tokenizerConfig = new Dictionary<string, object>
        {
            ["add_prefix_space"] = false,
            ["bos_token"] = StartOfText,
            ["do_lower_case"] = true,
            ["eos_token"] = EndOfText,
            ["errors"] = "replace",
            ["model_max_length"] = ClipTokenizer.MaxLength,
            ["pad_token"] = pad,
            ["tokenizer_class"] = "CLIPTokenizer",
            ["unk_token"] = EndOfText,
        };
        File.WriteAllText(
            Path.Combine(tokenizerDir, "tokenizer_config.json"),
            JsonSerializer.Serialize(tokenizerConfig, s_indented));
    }

    private static Dictionary<string, object> SpecialTokenObject(string content) => new()
    {
        ["content"] = content,
        ["lstrip"] = false,
        ["normalized"] = true,
        ["rstrip"] = false,
        ["single_word"] = false,
    };
}
