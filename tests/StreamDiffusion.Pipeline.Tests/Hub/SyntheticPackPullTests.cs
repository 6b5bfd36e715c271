using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Hub;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Hub;

/// <summary>
/// A real synthetic model pack served in the Hub's URL layout by the local fake Hub: pulled, it
/// loads and runs through the same loader as any pack; a corrupted ONNX file is refused.
/// </summary>
public sealed class SyntheticPackPullTests : IDisposable
{
    private readonly TempDirectory _root = new("sdnet-pull");

    [Fact]
    public async Task A_synthetic_pack_round_trips_through_the_hub_and_loads()
    {
        var source = _root.Combine("source");
        SyntheticPackWriter.Write(source, new SyntheticPackOptions { ImageSize = 128, Taesd = true });
        await using var server = FakeHubServer.FromDirectory("streamdiffusion/synthetic-turbo", source);
        var output = _root.Combine("pulled");

        using var client = new HubClient(server.Endpoint);
        var result = await new ModelPackDownloader(client).PullAsync(new PullOptions { Repository = "streamdiffusion/synthetic-turbo", OutputDirectory = output });

        Assert.True(result.VerifiedFiles > 0);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var pulled = Path.Combine(output, Path.GetRelativePath(source, file));
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(pulled)), $"{pulled} differs");
        }

        using var pack = ModelPack.Load(output);
        Assert.Equal(1024, pack.HiddenSize);
        var ids = new long[77];
        pack.Tokenizer.EncodePadded("a photo of a cat", ids);
        var embedding = new float[77 * pack.HiddenSize];
        pack.TextEncoder.Encode(ids, 1, embedding);
        Assert.All(embedding, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public async Task A_corrupted_onnx_file_of_a_synthetic_pack_is_refused_and_nothing_looks_complete()
    {
        var source = _root.Combine("source");
        SyntheticPackWriter.Write(source, new SyntheticPackOptions { ImageSize = 128 });
        await using var server = FakeHubServer.FromDirectory("streamdiffusion/synthetic-turbo", source);
        server.Corrupt("unet/model.onnx");
        var output = _root.Combine("pulled");

        using var client = new HubClient(server.Endpoint);
        var error = await Assert.ThrowsAsync<HubException>(() => new ModelPackDownloader(client).PullAsync(new PullOptions { Repository = "streamdiffusion/synthetic-turbo", OutputDirectory = output }));
        Assert.Equal(HubErrorKind.IntegrityMismatch, error.Kind);
        Assert.Contains("unet/model.onnx", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    public void Dispose() => _root.Dispose();
}
