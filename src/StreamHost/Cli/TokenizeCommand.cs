using System.CommandLine;
using System.Globalization;
using System.Text;
using StreamDiffusion.Pipeline.Models.Tokenization;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>tokenize --tokenizer DIR [--json] TEXT</c>: prints the CLIP token ids of a prompt (BOS/EOS
/// included, before padding) and whether it was truncated at 77 ids. DIR is a tokenizer folder or a
/// model pack (its <c>tokenizer/</c> subfolder is used).
/// </summary>
public static class TokenizeCommand
{
    /// <summary>Builds the <c>tokenize</c> command.</summary>
    public static Command Create()
    {
        var tokenizerOption = new Option<string>("--tokenizer")
        {
            Description = "Tokenizer folder (vocab.json, merges.txt, ...) or a model pack folder with a tokenizer/ subfolder.",
            Required = true,
        };
        var jsonOption = new Option<bool>("--json")
        {
            Description = "Print {\"ids\":[...],\"truncated\":false} instead of plain text.",
        };
        var textArgument = new Argument<string[]>("text")
        {
            Description = "The prompt; several words are joined with spaces.",
            Arity = ArgumentArity.OneOrMore,
        };

        var command = new Command("tokenize", "Print the CLIP token ids of a prompt.")
        {
            tokenizerOption,
            jsonOption,
            textArgument,
        };
        command.SetAction(parseResult => Run(
            parseResult.GetValue(tokenizerOption)!,
            parseResult.GetValue(jsonOption),
            string.Join(' ', parseResult.GetValue(textArgument) ?? []),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>The command's work, separate from parsing so it can be called directly.</summary>
    /// <returns>The process exit code: 0, or 1 when the tokenizer cannot be loaded.</returns>
    internal static int Run(string tokenizerPath, bool json, string text, TextWriter output, TextWriter error)
    {
        ClipTokenizer tokenizer;
        try
        {
            tokenizer = ClipTokenizer.FromDirectory(ResolveTokenizerDirectory(tokenizerPath));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            error.WriteLine($"tokenize: {ex.Message}");
            return 1;
        }

        var tokens = tokenizer.Tokenize(text);
        output.WriteLine(json ? FormatJson(tokens) : FormatIds(tokens));
        if (!json)
        {
            output.WriteLine(tokens.Truncated
                ? $"truncated at {ClipTokenizer.MaxLength} ids"
                : $"not truncated ({tokens.Count} of {ClipTokenizer.MaxLength} ids)");
        }

        return 0;
    }

    /// <summary>A tokenizer folder as given, or the <c>tokenizer/</c> subfolder of a model pack.</summary>
    internal static string ResolveTokenizerDirectory(string path)
    {
        string nested = Path.Combine(path, "tokenizer");
        bool isTokenizer = File.Exists(Path.Combine(path, "vocab.json"));
        return !isTokenizer && Directory.Exists(nested) ? nested : path;
    }

    private static string FormatIds(ClipTokens tokens) =>
        string.Join(' ', tokens.Ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));

    private static string FormatJson(ClipTokens tokens)
    {
        var builder = new StringBuilder("{\"ids\":[");
        builder.AppendJoin(',', tokens.Ids.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        builder.Append("],\"truncated\":").Append(tokens.Truncated ? "true" : "false").Append('}');
        return builder.ToString();
    }
}
