using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// Writes <c>tokenizer/</c> in the Hugging Face CLIPTokenizer layout: either copies a real vocabulary or writes a
/// minimal byte-level one whose ids agree with CLIP for the 256 byte symbols (0..255), their end-of-word forms
/// (256..511) and the specials (49406, 49407), with no merges — every word tokenizes to its bytes.
/// </summary>
internal static class SyntheticTokenizerFiles
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    public const int StartOfTextId = 49406;
    public const int EndOfTextId = 49407;

    internal static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(string directory, SyntheticPackOptions options)
    {
        Directory.CreateDirectory(directory);
        if (options.TokenizerSource is { } source)
        {
            File.Copy(Path.Combine(source, "vocab.json"), Path.Combine(directory, "vocab.json"), overwrite: true);
            File.Copy(Path.Combine(source, "merges.txt"), Path.Combine(directory, "merges.txt"), overwrite: true);
        }
        else
        {
            WriteBuiltInVocabulary(Path.Combine(directory, "vocab.json"));
            File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n");
        }

        var specialTokens = new JsonObject
        {
            ["bos_token"] = AddedToken(StartOfText, typed: false),
            ["eos_token"] = AddedToken(EndOfText, typed: false),
            ["pad_token"] = options.PadToken,
            ["unk_token"] = AddedToken(EndOfText, typed: false),
        };
        File.WriteAllText(Path.Combine(directory, "special_tokens_map.json"), specialTokens.ToJsonString(s_json));

        var config = new JsonObject
        {
            ["add_prefix_space"] = false,
            ["bos_token"] = AddedToken(StartOfText, typed: true),
            ["do_lower_case"] = true,
            ["eos_token"] = AddedToken(EndOfText, typed: true),
            ["errors"] = "replace",
            ["model_max_length"] = SyntheticTextEncoder.SequenceLength,
            ["pad_token"] = options.PadToken,
            ["tokenizer_class"] = "CLIPTokenizer",
            ["unk_token"] = AddedToken(EndOfText, typed: true),
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config.ToJsonString(s_json));
    }

    /// <summary>GPT-2's byte → printable-character table, in CLIP's vocabulary order.</summary>
    public static IReadOnlyList<char> ByteSymbols()
    {
        var symbols = new List<char>(256);
        var taken = new bool[256];
        foreach (var (from, to) in new[] { ('!', '~'), ('¡', '¬'), ('®', 'ÿ') })
        {
            for (int b = from; b <= to; b++)
            {
                symbols.Add((char)b);
                taken[b] = true;
            }
        }

        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            if (!taken[b])
            {
                symbols.Add((char)(256 + next++));
            }
        }

        return symbols;
    }

    private static void WriteBuiltInVocabulary(string path)
    {
        var symbols = ByteSymbols();
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        for (int i = 0; i < symbols.Count; i++)
        {
            writer.WriteNumber(symbols[i].ToString(), i);
        }

        for (int i = 0; i < symbols.Count; i++)
        {
            writer.WriteNumber(symbols[i] + "</w>", symbols.Count + i);
        }

        writer.WriteNumber(StartOfText, StartOfTextId);
        writer.WriteNumber(EndOfText, EndOfTextId);
        writer.WriteEndObject();
    }

    private static JsonObject AddedToken(string content, bool typed)
    {
        var token = new JsonObject();
        if (typed)
        {
            token["__type"] = "AddedToken";
        }

        token["content"] = content;
        token["lstrip"] = false;
        token["normalized"] = true;
        token["rstrip"] = false;
        token["single_word"] = false;
        return token;
    }
}
