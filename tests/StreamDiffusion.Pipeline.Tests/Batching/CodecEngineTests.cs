using StreamDiffusion.Pipeline.Batching;

namespace StreamDiffusion.Pipeline.Tests.Batching;

public sealed class CodecEngineTests
{
    [Fact]
    public async Task EncodesAndDecodes_BatchSeparately_PerImageSize_WithDirectResults()
    {
        using var gate = new CallGate();
        var probe = new ProbeCodec(gate);
        await using var engine = new CodecEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(40);

        gate.Close();
        var blockerImages = Random(random, ProbeCodec.ImageLength(16, 16));
        var blockerLatents = new float[ProbeCodec.LatentLength(16, 16)];
        var blocker = engine.EncodeAsync(blockerImages, 1, 16, 16, blockerLatents).AsTask();
        await gate.WaitForCallAsync();

        // Queued in the order: encode 16², decode 16², encode 16², decode 16², encode 32x16.
        var jobs = new[]
        {
            ("encode", 16, 16),
            ("decode", 16, 16),
            ("encode", 16, 16),
            ("decode", 16, 16),
            ("encode", 32, 16),
        };
        var inputs = new float[jobs.Length][];
        var outputs = new float[jobs.Length][];
        var tasks = new Task[jobs.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            var (operation, height, width) = jobs[i];
            var encode = operation == "encode";
            inputs[i] = Random(random, encode ? ProbeCodec.ImageLength(height, width) : ProbeCodec.LatentLength(height, width));
            outputs[i] = new float[encode ? ProbeCodec.LatentLength(height, width) : ProbeCodec.ImageLength(height, width)];
            tasks[i] = (encode
                ? engine.EncodeAsync(inputs[i], 1, height, width, outputs[i])
                : engine.DecodeAsync(inputs[i], 1, height, width, outputs[i])).AsTask();
        }

        gate.Open();
        await blocker;
        await Task.WhenAll(tasks);

        Assert.Equal(
            new[] { ("encode", 1, 16, 16), ("encode", 2, 16, 16), ("decode", 2, 16, 16), ("encode", 1, 32, 16) },
            probe.Calls);

        var direct = new ProbeCodec();
        var expectedBlocker = new float[blockerLatents.Length];
        direct.Encode(blockerImages, 1, 16, 16, expectedBlocker);
        Assert.Equal(expectedBlocker, blockerLatents);
        for (var i = 0; i < jobs.Length; i++)
        {
            var (operation, height, width) = jobs[i];
            var expected = new float[outputs[i].Length];
            if (operation == "encode")
            {
                direct.Encode(inputs[i], 1, height, width, expected);
            }
            else
            {
                direct.Decode(inputs[i], 1, height, width, expected);
            }

            Assert.Equal(expected, outputs[i]);
        }

        Assert.Equal("probe", engine.Name);
        Assert.Equal(4, engine.GetStats().Calls);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task ConcurrentCallers_GetTheDirectResults(int workers)
    {
        var probe = new ProbeCodec();
        await using var engine = new CodecEngine(probe, new BatchingOptions { MaxBatch = 4, Workers = workers });
        var direct = new ProbeCodec();

        // Three callers, each alternating encodes and decodes of one or two 16x16 items.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(caller => Task.Run(async () =>
        {
            var random = new Random(50 + caller);
            for (var i = 0; i < 20; i++)
            {
                var batch = 1 + (i % 2);
                var encode = (i + caller) % 2 == 0;
                var input = Random(random, batch * (encode ? ProbeCodec.ImageLength(16, 16) : ProbeCodec.LatentLength(16, 16)));
                var output = new float[batch * (encode ? ProbeCodec.LatentLength(16, 16) : ProbeCodec.ImageLength(16, 16))];
                var expected = new float[output.Length];
                if (encode)
                {
                    await engine.EncodeAsync(input, batch, 16, 16, output);
                    direct.Encode(input, batch, 16, 16, expected);
                }
                else
                {
                    await engine.DecodeAsync(input, batch, 16, 16, output);
                    direct.Decode(input, batch, 16, 16, expected);
                }

                Assert.Equal(expected, output);
            }
        })));

        var stats = engine.GetStats();
        Assert.Equal(90, stats.Items);
        Assert.Equal(90, probe.Calls.Sum(c => c.Batch));
        Assert.All(probe.Calls, call => Assert.InRange(call.Batch, 1, 4));
        Assert.InRange(stats.PeakConcurrentCalls, 1, workers);
    }

    [Fact]
    public async Task ShortBuffers_AreRejected()
    {
        await using var engine = new CodecEngine(new ProbeCodec());
        Assert.Throws<ArgumentException>(() => engine.EncodeAsync(new float[ProbeCodec.ImageLength(16, 16) - 1], 1, 16, 16, new float[ProbeCodec.LatentLength(16, 16)]));
        Assert.Throws<ArgumentException>(() => engine.DecodeAsync(new float[ProbeCodec.LatentLength(16, 16)], 1, 16, 16, new float[10]));
    }

    private static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        return values;
    }
}
