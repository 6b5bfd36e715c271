using StreamDiffusion.Pipeline.Models.Hub;

namespace StreamDiffusion.Pipeline.Tests.Hub;

public sealed class HubFileFilterTests
{
    [Theory]
    [InlineData("*.onnx", "unet/model.onnx", true)]
    [InlineData("*.onnx", "unet/model.onnx_data", false)]
    [InlineData("*.onnx*", "unet/model.onnx_data", true)]
    [InlineData("*.ONNX", "model.onnx", true)]
    [InlineData("unet/*", "unet/model.onnx", true)]
    [InlineData("unet/*", "unet/sub/model.onnx", false)]
    [InlineData("unet/**", "unet/sub/model.onnx", true)]
    [InlineData("**/model.onnx", "model.onnx", true)]
    [InlineData("**/model.onnx", "a/b/model.onnx", true)]
    [InlineData("*/model.onnx", "a/b/model.onnx", false)]
    [InlineData("model.?nnx", "text_encoder/model.onnx", true)]
    [InlineData("tokenizer/*.txt", "tokenizer/merges.txt", true)]
    [InlineData("tokenizer/*.txt", "merges.txt", false)]
    [InlineData("", "model.onnx", false)]
    public void IsMatch_FollowsGlobRules(string pattern, string path, bool expected)
        => Assert.Equal(expected, HubFileFilter.IsMatch(pattern, path));

    [Fact]
    public void Select_ByDefault_SkipsFrameworkWeightsAndKeepsOnnxAndConfigs()
    {
        HubFileEntry[] entries =
        [
            new("model_index.json", 10, null, null),
            new("unet/model.onnx", 10, null, new string('a', 64)),
            new("unet/model.onnx_data", 10, null, new string('b', 64)),
            new("unet/weights.pb", 10, null, new string('c', 64)),
            new("unet/diffusion_pytorch_model.safetensors", 10, null, new string('d', 64)),
            new("unet/diffusion_pytorch_model.bin", 10, null, new string('e', 64)),
            new("tokenizer/merges.txt", 10, null, null),
            new(".gitattributes", 10, null, null),
        ];

        var selected = HubFileFilter.Select(entries, new PullOptions { Repository = "a/b", OutputDirectory = "x" }).Select(e => e.Path);

        Assert.Equal(["model_index.json", "unet/model.onnx", "unet/model.onnx_data", "unet/weights.pb", "tokenizer/merges.txt"], selected);
    }

    [Fact]
    public void Select_ExplicitExclude_AppliesAlongsideInclude()
    {
        HubFileEntry[] entries = [new("a.onnx", 1, null, null), new("b.onnx", 1, null, null), new("c.json", 1, null, null)];
        var options = new PullOptions { Repository = "a/b", OutputDirectory = "x", Include = ["*.onnx"], Exclude = ["b.*"] };

        Assert.Equal(["a.onnx"], HubFileFilter.Select(entries, options).Select(e => e.Path));
    }

    [Theory]
    [InlineData("stabilityai/sd-turbo", true)]
    [InlineData("gpt2", true)]
    [InlineData("a/b/c", false)]
    [InlineData("../etc", false)]
    [InlineData("owner/na me", false)]
    [InlineData("", false)]
    public void ValidateRepositoryId_AcceptsOwnerName(string repo, bool ok)
    {
        var ex = Record.Exception(() => HubClient.ValidateRepositoryId(repo));
        Assert.Equal(ok, ex is null);
        if (!ok)
        {
            Assert.Equal(HubErrorKind.InvalidArgument, Assert.IsType<HubException>(ex).Kind);
        }
    }

    [Fact]
    public void DefaultOutputDirectory_IsModelsSlashRepoName()
        => Assert.Equal(Path.Combine(".", "models", "sd-turbo"), PullOptions.DefaultOutputDirectory("stabilityai/sd-turbo"));

    [Fact]
    public void ResolveUri_EscapesRevisionAndPathSegments()
    {
        using var client = new HubClient(new Uri("https://hub.example/mirror"));
        Assert.Equal(
            "https://hub.example/mirror/o/r/resolve/refs%2Fpr%2F1/unet/model%20v2.onnx",
            client.GetResolveUri("o/r", "refs/pr/1", "unet/model v2.onnx").AbsoluteUri);
        Assert.Equal(
            "https://hub.example/mirror/api/models/o/r/tree/main?recursive=true",
            client.GetTreeUri("o/r", "main").AbsoluteUri);
    }

    [Fact]
    public void ResolveEndpointAndToken_PreferExplicitValues()
    {
        Assert.Equal(new Uri("http://mirror.local:8080/hf"), HubClient.ResolveEndpoint("http://mirror.local:8080/hf"));
        Assert.Equal("hf_explicit", HubClient.ResolveToken("  hf_explicit "));
        Assert.Throws<HubException>(() => HubClient.ResolveEndpoint("not a url"));
    }
}
