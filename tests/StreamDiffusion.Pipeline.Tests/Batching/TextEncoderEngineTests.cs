using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

public sealed class TextEncoderEngineTests
{
    [Fact]
    public async Task QueuedPrompts_ShareOneEncoderCall_AndEachCallerGetsItsOwnRows()
    {
        using var gate = new CallGate();
        var probe = new ProbeTextEncoder(gate);
        await using var engine = new TextEncoderEngine(ProbeTextEncoder.Hidden, probe.Encode, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(20);

        gate.Close();
        var firstIds = ProbeTextEncoder.Ids(random, 1);
        var first = engine.EncodeAsync(firstIds).AsTask();
        await gate.WaitForCallAsync();

        var idsList = new[] { ProbeTextEncoder.Ids(random, 2), ProbeTextEncoder.Ids(random, 1), ProbeTextEncoder.Ids(random, 3) };
        var outputs = idsList.Select(ids => new float[ids.Length / TextEncoderModel.SequenceLength * ProbeTextEncoder.RowLength]).ToArray();
        var tasks = idsList.Select((ids, i) => engine.EncodeAsync(ids, outputs[i]).AsTask()).ToArray();
        gate.Open();

        Assert.Equal(ProbeTextEncoder.Direct(firstIds), await first);
        await Task.WhenAll(tasks);
        for (var i = 0; i < idsList.Length; i++)
        {
            Assert.Equal(ProbeTextEncoder.Direct(idsList[i]), outputs[i]);
        }

        Assert.Equal(new[] { 1, 6 }, probe.Calls);
        var stats = engine.GetStats();
        Assert.Equal(2, stats.Calls);
        Assert.Equal(7, stats.Items);
        Assert.Equal(3.5, stats.AverageBatchSize);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task ConcurrentCallers_GetTheDirectEmbeddings(int workers)
    {
        var probe = new ProbeTextEncoder();
        await using var engine = new TextEncoderEngine(ProbeTextEncoder.Hidden, probe.Encode, new BatchingOptions { MaxBatch = 4, Workers = workers });

        await Task.WhenAll(Enumerable.Range(0, 3).Select(caller => Task.Run(async () =>
        {
            var random = new Random(30 + caller);
            for (var i = 0; i < 20; i++)
            {
                var ids = ProbeTextEncoder.Ids(random, 1 + (i % 2));
                Assert.Equal(ProbeTextEncoder.Direct(ids), await engine.EncodeAsync(ids));
            }
        })));

        Assert.All(probe.Calls, rows => Assert.InRange(rows, 1, 4));
        Assert.Equal(90, probe.Calls.Sum());
        Assert.InRange(engine.GetStats().PeakConcurrentCalls, 1, workers);
    }

    [Fact]
    public async Task PartialRows_AreRejected()
    {
        await using var engine = new TextEncoderEngine(ProbeTextEncoder.Hidden, new ProbeTextEncoder().Encode);
        Assert.Throws<ArgumentException>(() => engine.EncodeAsync(new long[76], new float[ProbeTextEncoder.RowLength]));
        Assert.Throws<ArgumentException>(() => engine.EncodeAsync(new long[77], new float[ProbeTextEncoder.RowLength - 1]));
    }
}
