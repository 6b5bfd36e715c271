using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Tests.Models;

namespace StreamDiffusion.Pipeline.Tests.Synthetic;

/// <summary>
/// The engine promises each stream bitwise what it would get alone, which needs every model's
/// per-item result to be independent of the batch it runs in. Checked on the synthetic pack for
/// the UNet, the text encoder and both codec directions, at three latent sizes.
/// </summary>
public sealed class SyntheticBatchIndependenceTests(Models.SyntheticPackFixture packs) : IClassFixture<Models.SyntheticPackFixture>
{
    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    public void Every_item_of_a_batch_of_four_equals_the_item_run_alone(int side)
    {
        using var pack = ModelPack.Load(packs.Get(new() { ImageSize = 512, TokenizerSource = TestPaths.ClipVocabulary, Taesd = true }));
        var shape = new LatentShape(4, 4, side, side);
        var embeddingLength = 77 * pack.HiddenSize;
        var random = new Random(side);
        var latents = Enumerable.Range(0, shape.Length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var embeddings = Enumerable.Range(0, 4 * embeddingLength).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] timesteps = [359, 99, 999, 0];
        var images = Enumerable.Range(0, 4 * 3 * side * side * 64).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var ids = Enumerable.Range(0, 4 * 77).Select(i => (long)(i * 37 % 49000)).ToArray();
        var imageLength = 3 * side * side * 64;

        var noise = new float[shape.Length];
        pack.Unet.PredictNoise(latents, timesteps, embeddings, noise, shape);
        var encoded = new float[shape.Length];
        pack.Codec.Encode(images, 4, side * 8, side * 8, encoded);
        var decoded = new float[images.Length];
        pack.Codec.Decode(latents, 4, side * 8, side * 8, decoded);
        var text = new float[4 * embeddingLength];
        pack.TextEncoder.Encode(ids, 4, text);

        for (var b = 0; b < 4; b++)
        {
            var one = new float[shape.ItemLength];
            pack.Unet.PredictNoise(latents.AsSpan(b * shape.ItemLength, shape.ItemLength), timesteps.AsSpan(b, 1), embeddings.AsSpan(b * embeddingLength, embeddingLength), one, shape.WithBatch(1));
            Assert.True(one.AsSpan().SequenceEqual(noise.AsSpan(b * shape.ItemLength, shape.ItemLength)), $"unet item {b}");

            pack.Codec.Encode(images.AsSpan(b * imageLength, imageLength), 1, side * 8, side * 8, one);
            Assert.True(one.AsSpan().SequenceEqual(encoded.AsSpan(b * shape.ItemLength, shape.ItemLength)), $"encode item {b}");

            var image = new float[imageLength];
            pack.Codec.Decode(latents.AsSpan(b * shape.ItemLength, shape.ItemLength), 1, side * 8, side * 8, image);
            Assert.True(image.AsSpan().SequenceEqual(decoded.AsSpan(b * imageLength, imageLength)), $"decode item {b}");

            var row = new float[embeddingLength];
            pack.TextEncoder.Encode(ids.AsSpan(b * 77, 77), 1, row);
            Assert.True(row.AsSpan().SequenceEqual(text.AsSpan(b * embeddingLength, embeddingLength)), $"text item {b}");
        }
    }
}
