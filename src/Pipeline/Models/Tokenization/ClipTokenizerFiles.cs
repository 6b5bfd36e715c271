using System.Text.Json;

namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// Reads and validates the files of a Hugging Face CLIP tokenizer folder, failing with messages that
/// name the file and what was expected.
/// </summary>
internal static class ClipTokenizerFiles
{
    public const string VocabFile = "vocab.json";
    public const string MergesFile = "merges.txt";
    public const string SpecialTokensMapFile = "special_tokens_map.json";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    public static Dictionary<string, int> ReadVocabulary(string path)
    {
        RequireFile(path, "the CLIP vocabulary: a JSON object mapping token strings to integer ids");
        Dictionary<string, int>? vocab;
        try
        {
            using var stream = File.OpenRead(path);
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"Tokenizer vocabulary '{path}' is not valid: expected a JSON object mapping token strings to integer ids ({ex.Message}).",
                ex);
        }

        if (vocab is null || vocab.Count == 0)
        {
            throw new InvalidDataException(
                $"Tokenizer vocabulary '{path}' is empty: expected a JSON object mapping token strings to integer ids.");
        }

        return vocab;
    }

    public static List<string> ReadMerges(string path)
    {
        RequireFile(path, "the BPE merge list: a '#version' header then one 'left right' pair per line");
        var merges = new List<string>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException(
                    $"Tokenizer merges '{path}' line {lineNumber} is not valid: expected two tokens separated by one space, got '{Shorten(line)}'.");
            }

            merges.Add(line);
        }

        return merges;
    }

    public static ClipSpecialTokens ReadSpecialTokens(string tokenizerDir, IReadOnlyDictionary<string, int> vocab, string vocabPath)
    {
        string mapPath = Path.Combine(tokenizerDir, SpecialTokensMapFile);
        string configPath = Path.Combine(tokenizerDir, TokenizerConfigFile);
        var map = ReadOptionalObject(mapPath);
        var config = ReadOptionalObject(configPath);

        // Hugging Face loads tokenizer_config.json and lets special_tokens_map.json override it.
        (string bos, string bosSource) = Resolve("bos_token", BuiltInClipVocabulary.StartOfText);
        (string eos, string eosSource) = Resolve("eos_token", BuiltInClipVocabulary.EndOfText);
        (string pad, string padSource) = Resolve("pad_token", eos);

        return new ClipSpecialTokens(
            bos, IdOf(bos, "bos_token", bosSource),
            eos, IdOf(eos, "eos_token", eosSource),
            pad, IdOf(pad, "pad_token", padSource));

        (string Token, string Source) Resolve(string key, string fallback)
        {
            if (TryGetToken(map, key, mapPath, out var fromMap))
            {
                return (fromMap, mapPath);
            }

            if (TryGetToken(config, key, configPath, out var fromConfig))
            {
                return (fromConfig, configPath);
            }

            return (fallback, vocabPath);
        }

        int IdOf(string token, string key, string source)
        {
            if (vocab.TryGetValue(token, out int id))
            {
                return id;
            }

            if (TryFindAddedToken(config, token, out id))
            {
                return id;
            }

            throw new InvalidDataException(
                $"Tokenizer {key} '{token}' (from '{source}') is not in the vocabulary '{vocabPath}': expected the token to have an id there.");
        }
    }

    private static void RequireFile(string path, string expected)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer file '{path}' is missing: expected {expected}.", path);
        }
    }

    private static JsonElement? ReadOptionalObject(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Tokenizer file '{path}' is not valid: expected a JSON object.");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Tokenizer file '{path}' is not valid JSON: expected a JSON object ({ex.Message}).", ex);
        }
    }

    // A special token is either a string or an object {"content": "...", ...}; null means "not set".
    private static bool TryGetToken(JsonElement? root, string key, string path, out string token)
    {
        token = string.Empty;
        if (root is not { } element || !element.TryGetProperty(key, out var value))
        {
            return false;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return false;
            case JsonValueKind.String:
                token = value.GetString()!;
                return true;
            case JsonValueKind.Object when value.TryGetProperty("content", out var content)
                && content.ValueKind == JsonValueKind.String:
                token = content.GetString()!;
                return true;
            default:
                throw new InvalidDataException(
                    $"Tokenizer file '{path}' has an invalid '{key}': expected a string or an object with a string \"content\".");
        }
    }

    // tokenizer_config.json may declare tokens outside vocab.json in "added_tokens_decoder": {"id": {"content": ...}}.
    private static bool TryFindAddedToken(JsonElement? config, string token, out int id)
    {
        id = -1;
        if (config is not { } element || !element.TryGetProperty("added_tokens_decoder", out var added)
            || added.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var entry in added.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Object
                && entry.Value.TryGetProperty("content", out var content)
                && content.ValueKind == JsonValueKind.String
                && content.GetString() == token
                && int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id))
            {
                return true;
            }
        }

        return false;
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : string.Concat(line.AsSpan(0, 40), "...");
}
