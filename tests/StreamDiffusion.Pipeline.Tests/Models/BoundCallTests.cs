using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>
/// Calls bound once to pinned buffers (issue 13, point 9) give what the copying calls give: the
/// TAESD codec in both pixel ranges, the UNet with float and integer timesteps and with
/// timestep_cond, repeated runs on the same binding, and the engines' staging when a larger batch
/// regrows the buffers. Graphs that cannot bind say so (null) and keep the copying path.
/// </summary>
public sealed class BoundCallTests(SyntheticPackFixture packs) : IClassFixture<SyntheticPackFixture>
{
    private const int Size = 64;
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(TaesdImageRange.ZeroToOne, 1)]
    [InlineData(TaesdImageRange.ZeroToOne, 2)]
    [InlineData(TaesdImageRange.MinusOneToOne, 2)]
    public void Taesd_bound_encode_and_decode_equal_the_copying_calls(TaesdImageRange range, int batch)
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size, Taesd = true }), new ModelPackOptions { TaesdImageRange = range });
        var codec = Assert.IsType<TaesdCodec>(pack.Codec);
        var images = RandomValues(batch * 3 * Size * Size, 1, -1f, 1f);
        var latentLength = batch * 4 * (Size / 8) * (Size / 8);

        var expectedLatents = new float[latentLength];
        codec.Encode(images, batch, Size, Size, expectedLatents);
        var expectedImages = new float[images.Length];
        codec.Decode(expectedLatents, batch, Size, Size, expectedImages);

        var imageBuffer = new PinnedBuffer<float>(images.Length);
        var latentBuffer = new PinnedBuffer<float>(latentLength);
        using var encode = codec.BindEncode(batch, Size, Size, imageBuffer, latentBuffer);
        using var decode = codec.BindDecode(batch, Size, Size, latentBuffer, imageBuffer);
        Assert.NotNull(encode);
        Assert.NotNull(decode);

        // Twice: the in-place range mapping must not leak from one run into the next.
        for (var run = 0; run < 2; run++)
        {
            images.CopyTo(imageBuffer.Span);
            encode.Run(CancellationToken.None);
            AssertClose(expectedLatents, latentBuffer.Span[..latentLength]);
            expectedLatents.CopyTo(latentBuffer.Span);
            decode.Run(CancellationToken.None);
            AssertClose(expectedImages, imageBuffer.Span);
        }
    }

    [Theory]
    [InlineData(SyntheticTimestepType.Float32, false)]
    [InlineData(SyntheticTimestepType.Int64, false)]
    [InlineData(SyntheticTimestepType.Int64, true)]
    public void Unet_bound_call_equals_the_copying_call(SyntheticTimestepType timestepType, bool timestepCond)
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size, TimestepType = timestepType, TimestepCond = timestepCond }));
        var unet = pack.Unet;
        var shape = new LatentShape(3, 4, Size / 8, Size / 8);
        var latents = RandomValues(shape.Length, 2, -2f, 2f);
        float[] timesteps = [999, 499.6f, 12];
        var embeddings = RandomValues(shape.Batch * TextEncoderModel.SequenceLength * unet.HiddenSize, 3, -1f, 1f);
        var expected = new float[shape.Length];
        unet.PredictNoise(latents, timesteps, embeddings, expected, shape);

        var latentBuffer = Pinned(latents);
        var timestepBuffer = Pinned(timesteps);
        var embeddingBuffer = Pinned(embeddings);
        var noise = new PinnedBuffer<float>(shape.Length);
        using var call = unet.Bind(shape, latentBuffer, timestepBuffer, embeddingBuffer, noise);
        Assert.NotNull(call);

        call.Run(CancellationToken.None);
        AssertClose(expected, noise.Span);

        // New inputs in the same buffers: the binding reads them, not a snapshot.
        float[] later = [1, 2, 3];
        later.CopyTo(timestepBuffer.Span);
        unet.PredictNoise(latents, later, embeddings, expected, shape);
        call.Run(CancellationToken.None);
        AssertClose(expected, noise.Span);
    }

    [Fact]
    public void Graphs_that_cannot_bind_say_so()
    {
        using var scalar = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size, TimestepRank = SyntheticTimestepRank.Scalar }));
        using var half = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size, Taesd = true, Float16 = true }));
        var shape = new LatentShape(1, 4, Size / 8, Size / 8);
        var buffer = new PinnedBuffer<float>(TextEncoderModel.SequenceLength * 1024);

        Assert.Null(scalar.Unet.Bind(shape, buffer, buffer, buffer, buffer));
        Assert.Null(half.Unet.Bind(shape, buffer, buffer, buffer, buffer));
        Assert.Null(half.Codec.BindEncode(1, Size, Size, new PinnedBuffer<float>(3 * Size * Size), buffer));
    }

    [Fact]
    public async Task Engines_give_the_copying_results_across_batch_sizes_and_buffer_regrowth()
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size, Taesd = true }));
        await using var engine = new CodecEngine(pack.Codec, new BatchingOptions { Workers = 1 });
        var imageLength = 3 * Size * Size;
        var latentLength = 4 * (Size / 8) * (Size / 8);

        // One image, then two (the staging buffers grow and the bindings are redone), then one again.
        foreach (var batch in new[] { 1, 2, 1 })
        {
            var images = RandomValues(batch * imageLength, 10 + batch, -1f, 1f);
            var expected = new float[batch * latentLength];
            pack.Codec.Encode(images, batch, Size, Size, expected);
            var actual = new float[batch * latentLength];
            await engine.EncodeAsync(images, batch, Size, Size, actual);
            AssertClose(expected, actual);

            var decoded = new float[batch * imageLength];
            pack.Codec.Decode(expected, batch, Size, Size, decoded);
            var engineDecoded = new float[batch * imageLength];
            await engine.DecodeAsync(expected, batch, Size, Size, engineDecoded);
            AssertClose(decoded, engineDecoded);
        }
    }

    private static PinnedBuffer<float> Pinned(float[] values)
    {
        var buffer = new PinnedBuffer<float>(values.Length);
        values.CopyTo(buffer.Span);
        return buffer;
    }

    private static float[] RandomValues(int length, int seed, float low, float high)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = low + (random.NextSingle() * (high - low));
        }

        return values;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1f, Math.Abs(expected[i]))))
            {
                Assert.Fail($"value {i}: bound {actual[i]} vs copying {expected[i]}");
            }
        }
    }
}
