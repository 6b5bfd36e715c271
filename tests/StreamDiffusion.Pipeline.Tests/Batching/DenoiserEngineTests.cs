using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

public sealed class DenoiserEngineTests
{
    private static readonly LatentShape Small = new(1, 4, 8, 8);
    private static readonly LatentShape Wide = new(1, 4, 6, 10);

    [Fact]
    public async Task ConcurrentStreams_GetBitwiseTheSameNoiseAsTheInnerPredictorAlone()
    {
        var probe = new ProbeNoisePredictor();
        await using var engine = new DenoiserEngine(probe);

        // Two streams per latent shape, batch sizes 1..3, random inputs.
        var streams = Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            var random = new Random(1000 + stream);
            var shape = stream % 2 == 0 ? Small : Wide;
            for (var i = 0; i < 50; i++)
            {
                var work = new DenoiseWork(random, shape.WithBatch(1 + ((stream + i) % 3)));
                await work.SubmitAsync(engine);
                work.AssertMatchesDirect();
            }
        })).ToArray();
        await Task.WhenAll(streams);

        var stats = engine.GetStats();
        var items = Enumerable.Range(0, 4).Sum(stream => Enumerable.Range(0, 50).Sum(i => 1 + ((stream + i) % 3)));
        Assert.Equal(200, stats.Requests);
        Assert.Equal(items, stats.Items);
        Assert.Equal(items, probe.Calls.Sum(c => c.Batch));
        Assert.Equal(probe.Calls.Count, stats.Calls);
        Assert.Equal(0, stats.QueueDepth);
        Assert.Equal(0, stats.FailedCalls);
        Assert.All(probe.Calls, call => Assert.InRange(call.Batch, 1, engine.Options.MaxBatch));
    }

    [Fact]
    public async Task ConcurrentRegisteredStreams_ShareModelCalls()
    {
        var probe = new ProbeNoisePredictor();

        // A generous deadline so the test does not depend on scheduling luck; registration (not the
        // concurrency window) is what tells the engine how many streams to wait for.
        var options = new BatchingOptions { MaxDelay = TimeSpan.FromMilliseconds(500), ClientWindow = TimeSpan.FromMilliseconds(10) };
        await using var engine = new DenoiserEngine(probe, options);

        // Registered up front, as a host does when a session opens; each stream leaves when done.
        var clients = Enumerable.Range(0, 4).Select(_ => engine.RegisterClient()).ToArray();
        var streams = Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            using var client = clients[stream];
            var random = new Random(2000 + stream);
            for (var i = 0; i < 50; i++)
            {
                var work = new DenoiseWork(random, Small);
                await work.SubmitAsync(engine);
                work.AssertMatchesDirect();
            }
        })).ToArray();
        await Task.WhenAll(streams);

        var stats = engine.GetStats();
        Assert.Equal(200, stats.Items);
        Assert.True(stats.AverageBatchSize > 1, $"average batch {stats.AverageBatchSize} over {stats.Calls} calls");
        Assert.True(stats.Calls < 200);
        Assert.Equal(stats.Calls, stats.CallsByBatchSize.Sum());
        Assert.All(probe.Calls, call => Assert.InRange(call.Batch, 1, 4));
    }

    [Fact]
    public async Task SingleSubmitter_EveryCallIsExactlyItsRequest_AndNothingWaits()
    {
        var probe = new ProbeNoisePredictor();

        // Even with a long deadline, a lone stream must never be held for stragglers.
        var options = new BatchingOptions { MaxDelay = TimeSpan.FromSeconds(1) };
        await using var engine = new DenoiserEngine(probe, options);
        using var client = engine.RegisterClient();

        var random = new Random(3);
        var sizes = new List<int>();
        for (var i = 0; i < 50; i++)
        {
            var work = new DenoiseWork(random, Small.WithBatch(1 + (i % 4)));
            sizes.Add(work.Shape.Batch);
            await work.SubmitAsync(engine);
            work.AssertMatchesDirect();
        }

        var stats = engine.GetStats();
        Assert.Equal(50, stats.Calls);
        Assert.Equal(stats.Requests, stats.Calls);
        Assert.Equal(sizes, probe.Calls.Select(c => c.Batch));
        Assert.Equal(TimeSpan.Zero, stats.TotalStragglerWait);
        Assert.Equal(1, stats.ActiveClients);
    }

    [Fact]
    public async Task ClientRegistrations_CountActiveClients_UntilDisposed()
    {
        await using var engine = new DenoiserEngine(new ProbeNoisePredictor());
        Assert.Equal(0, engine.GetStats().ActiveClients);
        var first = engine.RegisterClient();
        using var second = engine.RegisterClient();
        Assert.Equal(2, engine.GetStats().ActiveClients);

        first.Dispose();
        first.Dispose();
        Assert.Equal(1, engine.GetStats().ActiveClients);
    }

    [Fact]
    public async Task MaxBatch_IsRespected_AndAnOversizedRequestRunsAloneUnsplit()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxBatch = 3, MaxDelay = TimeSpan.Zero });
        var random = new Random(4);

        gate.Close();
        var blocker = new DenoiseWork(random, Small);
        var blocked = blocker.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        // Queued while the device is busy, oldest first: [2,2,1,1,5,1,2].
        var queued = new[] { 2, 2, 1, 1, 5, 1, 2 }.Select(n => new DenoiseWork(random, Small.WithBatch(n))).ToArray();
        var tasks = queued.Select(w => w.SubmitAsync(engine)).ToArray();
        Assert.Equal(7, engine.GetStats().QueueDepth);
        Assert.Equal(14, engine.GetStats().QueuedItems);
        gate.Open();
        await blocked;
        await Task.WhenAll(tasks);

        // Each call starts with the oldest request and fills with later ones that fit:
        // [2+1], [2+1], [5 alone], [1+2].
        Assert.Equal(new[] { 1, 3, 3, 5, 3 }, probe.Calls.Select(c => c.Batch));
        Assert.Equal(new[] { 1L, 0L, 4L }, engine.GetStats().CallsByBatchSize);
        blocker.AssertMatchesDirect();
        Assert.All(queued, w => w.AssertMatchesDirect());
    }

    [Fact]
    public async Task MixedShapes_NeverShareACall()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(5);

        gate.Close();
        var blocker = new DenoiseWork(random, Small);
        var blocked = blocker.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        var queued = Enumerable.Range(0, 8).Select(i => new DenoiseWork(random, i % 2 == 0 ? Small : Wide.WithBatch(2))).ToArray();
        var tasks = queued.Select(w => w.SubmitAsync(engine)).ToArray();
        gate.Open();
        await blocked;
        await Task.WhenAll(tasks);

        Assert.Equal(new[] { Small, Small.WithBatch(4), Wide.WithBatch(8) }, probe.Calls);
        Assert.All(queued, w => w.AssertMatchesDirect());
    }

    [Fact]
    public async Task InnerFailure_FailsExactlyThatCallsRequests_AndTheEngineKeepsServing()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(6);

        gate.Close();
        var first = new DenoiseWork(random, Small);
        var firstTask = first.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        // These two share the next call, which throws.
        var second = new DenoiseWork(random, Small);
        var third = new DenoiseWork(random, Small.WithBatch(2));
        var secondTask = second.SubmitAsync(engine);
        var thirdTask = third.SubmitAsync(engine);
        var failure = new InvalidOperationException("device lost");
        probe.ThrowOnNextCall(failure);
        gate.Open();

        await firstTask;
        first.AssertMatchesDirect();
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => secondTask));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => thirdTask));

        var fourth = new DenoiseWork(random, Small);
        await fourth.SubmitAsync(engine);
        fourth.AssertMatchesDirect();

        var stats = engine.GetStats();
        Assert.Equal(3, stats.Calls);
        Assert.Equal(1, stats.FailedCalls);
        Assert.Equal(new[] { 1, 3, 1 }, probe.Calls.Select(c => c.Batch));
    }

    [Fact]
    public async Task CancellingAQueuedRequest_RemovesItBeforeItRuns()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(7);

        gate.Close();
        var running = new DenoiseWork(random, Small);
        var runningTask = running.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        using var cancellation = new CancellationTokenSource();
        var queued = new DenoiseWork(random, Small.WithBatch(3));
        var queuedTask = queued.SubmitAsync(engine, cancellation.Token);
        Assert.Equal(1, engine.GetStats().QueueDepth);
        await cancellation.CancelAsync();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queuedTask);
        Assert.Equal(cancellation.Token, cancelled.CancellationToken);
        var stats = engine.GetStats();
        Assert.Equal(0, stats.QueueDepth);
        Assert.Equal(0, stats.QueuedItems);
        Assert.Equal(1, stats.CancelledRequests);

        gate.Open();
        await runningTask;
        var later = new DenoiseWork(random, Small.WithBatch(2));
        await later.SubmitAsync(engine);
        later.AssertMatchesDirect();

        // The cancelled request's three items never reached the model.
        Assert.Equal(new[] { 1, 2 }, probe.Calls.Select(c => c.Batch));
        Assert.All(queued.Noise, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public async Task CancellingARunningRequest_EndsTheWaitAtOnce_AndItsOutputIsNeverWritten()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(8);

        gate.Close();
        using var cancellation = new CancellationTokenSource();
        var work = new DenoiseWork(random, Small.WithBatch(2));
        var task = work.SubmitAsync(engine, cancellation.Token);
        await gate.WaitForCallAsync();
        await cancellation.CancelAsync();

        // Completes while the model is still held inside the call.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        gate.Open();

        // Once a later request completes, the cancelled call has certainly finished.
        var later = new DenoiseWork(random, Small);
        await later.SubmitAsync(engine);
        later.AssertMatchesDirect();
        Assert.All(work.Noise, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(1, engine.GetStats().CancelledRequests);
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_NeverQueues()
    {
        var probe = new ProbeNoisePredictor();
        await using var engine = new DenoiserEngine(probe);
        var work = new DenoiseWork(new Random(9), Small);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => work.SubmitAsync(engine, new CancellationToken(canceled: true)));
        Assert.Empty(probe.Calls);
    }

    [Fact]
    public async Task Dispose_FailsQueuedRequestsWithObjectDisposed_AndLetsTheRunningCallFinish()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero });
        var random = new Random(10);

        gate.Close();
        var running = new DenoiseWork(random, Small);
        var runningTask = running.SubmitAsync(engine);
        await gate.WaitForCallAsync();
        var queued = new[] { new DenoiseWork(random, Small), new DenoiseWork(random, Wide) };
        var queuedTasks = queued.Select(w => w.SubmitAsync(engine)).ToArray();

        var disposing = engine.DisposeAsync().AsTask();
        foreach (var task in queuedTasks)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => task);
        }

        // Disposal waits for the call on the device.
        Assert.False(disposing.IsCompleted);
        gate.Open();
        await runningTask;
        running.AssertMatchesDirect();
        await disposing;

        await Assert.ThrowsAsync<ObjectDisposedException>(() => new DenoiseWork(random, Small).SubmitAsync(engine));
        Assert.Single(probe.Calls);
        await engine.DisposeAsync();
    }

    [Fact]
    public async Task AFullQueue_RejectsNewRequests()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { QueueCapacity = 2, MaxDelay = TimeSpan.Zero });
        var random = new Random(11);

        gate.Close();
        var running = new DenoiseWork(random, Small).SubmitAsync(engine);
        await gate.WaitForCallAsync();
        var queued = new[] { new DenoiseWork(random, Small).SubmitAsync(engine), new DenoiseWork(random, Small).SubmitAsync(engine) };

        await Assert.ThrowsAsync<BatchQueueFullException>(() => new DenoiseWork(random, Small).SubmitAsync(engine));
        Assert.Equal(1, engine.GetStats().RejectedRequests);
        gate.Open();
        await running;
        await Task.WhenAll(queued);
        Assert.Equal(new[] { 1, 2 }, probe.Calls.Select(c => c.Batch));
    }

    [Fact]
    public async Task MismatchedBuffers_AreRejectedBeforeQueueing()
    {
        await using var engine = new DenoiserEngine(new ProbeNoisePredictor());
        var shape = Small.WithBatch(2);
        var latents = new float[shape.Length];
        var embeddings = new float[2 * ProbeNoisePredictor.EmbeddingLength];

        Assert.Throws<ArgumentException>(() => engine.PredictNoiseAsync(latents, new float[2], embeddings, new float[shape.Length - 1], shape));
        Assert.Throws<ArgumentException>(() => engine.PredictNoiseAsync(latents, new float[1], embeddings, new float[shape.Length], shape));
        Assert.Throws<ArgumentException>(() => engine.PredictNoiseAsync(latents, new float[2], embeddings.AsMemory(1), new float[shape.Length], shape));
        Assert.Equal(0, engine.GetStats().QueueDepth);
        Assert.Equal(ProbeNoisePredictor.Hidden, engine.HiddenSize);
    }
}
