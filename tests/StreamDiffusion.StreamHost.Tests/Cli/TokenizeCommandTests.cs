using System.CommandLine;
using StreamDiffusion.Pipeline.Models.Tokenization;
using StreamDiffusion.StreamHost.Cli;

namespace StreamDiffusion.StreamHost.Tests.Cli;

public sealed class TokenizeCommandTests : IDisposable
{
    private readonly string _pack = Path.Combine(Path.GetTempPath(), "sd-tokcmd-" + Guid.NewGuid().ToString("N"));

    public TokenizeCommandTests()
    {
        BuiltInClipVocabulary.WriteTo(Path.Combine(_pack, "tokenizer"), padWithExclamation: true);
    }

    public void Dispose() => Directory.Delete(_pack, recursive: true);

    [Fact]
    public void Prints_real_clip_ids_and_the_truncation_line()
    {
        var (exitCode, output, _) = Invoke("--tokenizer", RealClipDirectory(), "a photo of a cat");

        Assert.Equal(0, exitCode);
        Assert.Equal(
            ["49406 320 1125 539 320 2368 49407", "not truncated (7 of 77 ids)"],
            output.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void Json_output_is_exactly_ids_and_truncated()
    {
        var (exitCode, output, _) = Invoke("--tokenizer", RealClipDirectory(), "--json", "a photo of an astronaut riding a horse on mars");

        Assert.Equal(0, exitCode);
        Assert.Equal(
            "{\"ids\":[49406,320,1125,539,550,18376,6765,320,4558,525,7496,49407],\"truncated\":false}",
            output.TrimEnd());
    }

    [Fact]
    public void Model_pack_folder_uses_its_tokenizer_subfolder_and_reports_truncation()
    {
        var (exitCode, output, _) = Invoke("--tokenizer", _pack, "--json", new string('x', 100));

        Assert.Equal(0, exitCode);
        string expectedIds = "49406," + string.Join(',', Enumerable.Repeat("87", 75)) + ",49407";
        Assert.Equal("{\"ids\":[" + expectedIds + "],\"truncated\":true}", output.TrimEnd());
    }

    [Fact]
    public void Several_words_are_joined_with_spaces()
    {
        var (_, joined, _) = Invoke("--tokenizer", _pack, "a", "cat");
        var (_, quoted, _) = Invoke("--tokenizer", _pack, "a cat");

        Assert.Equal(quoted, joined);
        Assert.StartsWith("49406 320 66 64 339 49407", joined, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_tokenizer_files_fail_with_a_message_naming_the_file()
    {
        string empty = Path.Combine(_pack, "empty");
        Directory.CreateDirectory(empty);

        var (exitCode, _, error) = Invoke("--tokenizer", empty, "cat");

        Assert.Equal(1, exitCode);
        Assert.Contains("vocab.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenizer_option_is_required()
    {
        var parseResult = TokenizeCommand.Create().Parse(["cat"]);

        Assert.NotEmpty(parseResult.Errors);
    }

    private static (int ExitCode, string Output, string Error) Invoke(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = TokenizeCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string RealClipDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "clip"));
            }
        }

        throw new DirectoryNotFoundException("No folder containing StreamDiffusion.Net.sln above the test binaries.");
    }
}
