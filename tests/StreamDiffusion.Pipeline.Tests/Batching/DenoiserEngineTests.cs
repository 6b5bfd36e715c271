using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

public sealed class DenoiserEngineTests
{
    private static readonly LatentShape s_small = new(1, 4, 8, 8);
    private static readonly LatentShape s_wide = new(1, 4, 6, 10);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task ConcurrentStreams_GetBitwiseTheSameNoiseAsTheInnerPredictorAlone(int workers)
    {
        var probe = new ProbeNoisePredictor();
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { Workers = workers });

        // Two streams per latent shape, batch sizes 1..3, random inputs.
        var streams = Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            var random = new Random(1000 + stream);
            var shape = stream % 2 == 0 ? s_small : s_wide;
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
        Assert.InRange(probe.MaxConcurrentCalls, 1, workers);
        Assert.InRange(stats.PeakConcurrentCalls, 1, workers);
        Assert.Equal(workers, stats.Workers);
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
                var work = new DenoiseWork(random, s_small);
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
    public async Task ConcurrentRegisteredStreams_WithTwoWorkers_GetTheirOwnNoise_InCallsOfAtMostOnePerStream()
    {
        // The gathering path with two workers (a worker holds a batch only while the other one is
        // busy, and never for a stream whose request the other worker holds).
        var probe = new ProbeNoisePredictor();
        var options = new BatchingOptions { Workers = 2, MaxDelay = TimeSpan.FromMilliseconds(500), ClientWindow = TimeSpan.FromMilliseconds(10) };
        await using var engine = new DenoiserEngine(probe, options);
        var clients = Enumerable.Range(0, 4).Select(_ => engine.RegisterClient()).ToArray();
        var streams = Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            using var client = clients[stream];
            var random = new Random(2100 + stream);
            for (var i = 0; i < 50; i++)
            {
                var work = new DenoiseWork(random, s_small);
                await work.SubmitAsync(engine);
                work.AssertMatchesDirect();
            }
        })).ToArray();
        await Task.WhenAll(streams);

        var stats = engine.GetStats();
        Assert.Equal(200, stats.Items);
        Assert.Equal(200, stats.Requests);
        Assert.Equal(stats.Calls, stats.CallsByBatchSize.Sum());
        Assert.Equal(stats.Calls, probe.Calls.Count);
        Assert.All(probe.Calls, call => Assert.InRange(call.Batch, 1, 4));
        Assert.InRange(probe.MaxConcurrentCalls, 1, 2);
        Assert.Equal(0, stats.QueueDepth);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task SingleSubmitter_EveryCallIsExactlyItsRequest_AndNothingWaits(int workers)
    {
        var probe = new ProbeNoisePredictor();

        // Even with a long deadline, a lone stream must never be held for stragglers.
        var options = new BatchingOptions { MaxDelay = TimeSpan.FromSeconds(1), Workers = workers };
        await using var engine = new DenoiserEngine(probe, options);
        using var client = engine.RegisterClient();

        var random = new Random(3);
        var sizes = new List<int>();
        for (var i = 0; i < 50; i++)
        {
            var work = new DenoiseWork(random, s_small.WithBatch(1 + (i % 4)));
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
        var blocker = new DenoiseWork(random, s_small);
        var blocked = blocker.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        // Queued while the device is busy, oldest first: [2,2,1,1,5,1,2].
        var queued = new[] { 2, 2, 1, 1, 5, 1, 2 }.Select(n => new DenoiseWork(random, s_small.WithBatch(n))).ToArray();
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
        var blocker = new DenoiseWork(random, s_small);
        var blocked = blocker.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        var queued = Enumerable.Range(0, 8).Select(i => new DenoiseWork(random, i % 2 == 0 ? s_small : s_wide.WithBatch(2))).ToArray();
        var tasks = queued.Select(w => w.SubmitAsync(engine)).ToArray();
        gate.Open();
        await blocked;
        await Task.WhenAll(tasks);

        Assert.Equal(new[] { s_small, s_small.WithBatch(4), s_wide.WithBatch(8) }, probe.Calls);
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
        var first = new DenoiseWork(random, s_small);
        var firstTask = first.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        // These two share the next call, which throws.
        var second = new DenoiseWork(random, s_small);
        var third = new DenoiseWork(random, s_small.WithBatch(2));
        var secondTask = second.SubmitAsync(engine);
        var thirdTask = third.SubmitAsync(engine);
        var failure = new InvalidOperationException("device lost");
        probe.ThrowOnNextCall(failure);
        gate.Open();

        await firstTask;
        first.AssertMatchesDirect();
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => secondTask));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => thirdTask));

        var fourth = new DenoiseWork(random, s_small);
        await fourth.SubmitAsync(engine);
        fourth.AssertMatchesDirect();

        var stats = engine.GetStats();
        Assert.Equal(3, stats.Calls);
        Assert.Equal(1, stats.FailedCalls);
        Assert.Equal(new[] { 1, 3, 1 }, probe.Calls.Select(c => c.Batch));
    }

    [Fact]
    public async Task TwoWorkers_RunTwoCallsInTheInnerPredictorAtTheSameTime()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);

        // The default straggler deadline: the second request must not be held for a third.
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { Workers = 2 });
        var random = new Random(12);

        gate.Close();
        var first = new DenoiseWork(random, s_small);
        var firstTask = first.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        // The first call is held inside the predictor; the second worker takes the next request.
        var second = new DenoiseWork(random, s_small.WithBatch(2));
        var secondTask = second.SubmitAsync(engine);
        await gate.WaitForCallAsync();
        Assert.Equal(2, probe.MaxConcurrentCalls);
        Assert.Equal(0, engine.GetStats().QueueDepth);

        gate.Open();
        await Task.WhenAll(firstTask, secondTask);
        first.AssertMatchesDirect();
        second.AssertMatchesDirect();
        var stats = engine.GetStats();
        Assert.Equal(new[] { 1, 2 }, probe.Calls.Select(c => c.Batch));
        Assert.Equal(2, stats.Calls);
        Assert.Equal(2, stats.PeakConcurrentCalls);
        Assert.Equal(1, stats.OverlappingCalls);
    }

    [Fact]
    public async Task OneWorker_NeverHasTwoCallsInTheInnerPredictor()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { Workers = 1, MaxDelay = TimeSpan.Zero });
        var random = new Random(13);

        gate.Close();
        var first = new DenoiseWork(random, s_small);
        var firstTask = first.SubmitAsync(engine);
        await gate.WaitForCallAsync();

        // With the only worker held in the call, the second request stays queued.
        var second = new DenoiseWork(random, s_small.WithBatch(2));
        var secondTask = second.SubmitAsync(engine);
        Assert.Equal(1, engine.GetStats().QueueDepth);
        Assert.Equal(1, probe.MaxConcurrentCalls);
        gate.Open();
        await Task.WhenAll(firstTask, secondTask);

        // Then many concurrent submitters: still one call at a time.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(stream => Task.Run(async () =>
        {
            var local = new Random(1300 + stream);
            for (var i = 0; i < 30; i++)
            {
                var work = new DenoiseWork(local, s_small);
                await work.SubmitAsync(engine);
                work.AssertMatchesDirect();
            }
        })));

        var stats = engine.GetStats();
        Assert.Equal(1, probe.MaxConcurrentCalls);
        Assert.Equal(1, stats.PeakConcurrentCalls);
        Assert.Equal(0, stats.OverlappingCalls);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task CancellingAQueuedRequest_RemovesItBeforeItRuns(int workers)
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero, Workers = workers });
        var random = new Random(7);

        gate.Close();
        var blockers = await HoldEveryWorkerAsync(engine, gate, random, workers);

        using var cancellation = new CancellationTokenSource();
        var queued = new DenoiseWork(random, s_small.WithBatch(3));
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
        await Task.WhenAll(blockers.Select(b => b.Task));
        var later = new DenoiseWork(random, s_small.WithBatch(2));
        await later.SubmitAsync(engine);
        later.AssertMatchesDirect();

        // The cancelled request's three items never reached the model.
        Assert.Equal(Enumerable.Repeat(1, workers).Append(2), probe.Calls.Select(c => c.Batch));
        Assert.All(queued.Noise, v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task CancellingARunningRequest_EndsTheWaitAtOnce_AndItsOutputIsNeverWritten(int workers)
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero, Workers = workers });
        var random = new Random(8);

        gate.Close();
        using var cancellation = new CancellationTokenSource();
        var work = new DenoiseWork(random, s_small.WithBatch(2));
        var task = work.SubmitAsync(engine, cancellation.Token);
        await gate.WaitForCallAsync();
        await cancellation.CancelAsync();

        // Completes while the model is still held inside the call.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        gate.Open();

        // Disposal waits for every running call, so the cancelled one has certainly finished (a
        // later request alone would not show it: it may run on another worker).
        var later = new DenoiseWork(random, s_small);
        await later.SubmitAsync(engine);
        later.AssertMatchesDirect();
        await engine.DisposeAsync();
        Assert.All(work.Noise, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(1, engine.GetStats().CancelledRequests);
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_NeverQueues()
    {
        var probe = new ProbeNoisePredictor();
        await using var engine = new DenoiserEngine(probe);
        var work = new DenoiseWork(new Random(9), s_small);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => work.SubmitAsync(engine, new CancellationToken(canceled: true)));
        Assert.Empty(probe.Calls);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Dispose_FailsQueuedRequestsWithObjectDisposed_AndLetsTheRunningCallsFinish(int workers)
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        var engine = new DenoiserEngine(probe, new BatchingOptions { MaxDelay = TimeSpan.Zero, Workers = workers });
        var random = new Random(10);

        gate.Close();
        var running = await HoldEveryWorkerAsync(engine, gate, random, workers);
        var queued = new[] { new DenoiseWork(random, s_small), new DenoiseWork(random, s_wide) };
        var queuedTasks = queued.Select(w => w.SubmitAsync(engine)).ToArray();

        var disposing = engine.DisposeAsync().AsTask();
        foreach (var task in queuedTasks)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => task);
        }

        // Disposal waits for the calls on the device.
        Assert.False(disposing.IsCompleted);
        gate.Open();
        foreach (var (work, task) in running)
        {
            await task;
            work.AssertMatchesDirect();
        }

        await disposing;

        await Assert.ThrowsAsync<ObjectDisposedException>(() => new DenoiseWork(random, s_small).SubmitAsync(engine));
        Assert.Equal(workers, probe.Calls.Count);
        await engine.DisposeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task AFullQueue_RejectsNewRequests(int workers)
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { QueueCapacity = 2, MaxDelay = TimeSpan.Zero, Workers = workers });
        var random = new Random(11);

        gate.Close();
        var running = await HoldEveryWorkerAsync(engine, gate, random, workers);
        var queued = new[] { new DenoiseWork(random, s_small).SubmitAsync(engine), new DenoiseWork(random, s_small).SubmitAsync(engine) };

        await Assert.ThrowsAsync<BatchQueueFullException>(() => new DenoiseWork(random, s_small).SubmitAsync(engine));
        Assert.Equal(1, engine.GetStats().RejectedRequests);
        gate.Open();
        await Task.WhenAll(running.Select(r => r.Task));
        await Task.WhenAll(queued);

        // Whichever worker frees first takes both queued requests into one call.
        Assert.Equal(Enumerable.Repeat(1, workers).Append(2), probe.Calls.Select(c => c.Batch));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void WorkersOutOfRange_AreRejected(int workers)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DenoiserEngine(new ProbeNoisePredictor(), new BatchingOptions { Workers = workers }));
    }

    [Fact]
    public void ForProvider_GivesTheCpuSeveralWorkers_AndTheGpuProvidersOne()
    {
        Assert.Equal(BatchingOptions.DefaultCpuWorkers, BatchingOptions.ForProvider(ExecutionProvider.Cpu).Workers);
        Assert.InRange(BatchingOptions.DefaultCpuWorkers, 2, 16);
        Assert.Equal(1, BatchingOptions.ForProvider(ExecutionProvider.Cuda).Workers);
        Assert.Equal(1, BatchingOptions.ForProvider(ExecutionProvider.TensorRT).Workers);
        Assert.Equal(new BatchingOptions().MaxBatch, BatchingOptions.ForProvider(ExecutionProvider.Cpu).MaxBatch);
    }

    [Fact]
    public async Task MismatchedBuffers_AreRejectedBeforeQueueing()
    {
        await using var engine = new DenoiserEngine(new ProbeNoisePredictor());
        var shape = s_small.WithBatch(2);
        var latents = new float[shape.Length];
        var embeddings = new float[2 * ProbeNoisePredictor.EmbeddingLength];

        Assert.Throws<ArgumentException>(() => engine.PredictNoiseAsync(latents, new float[2], embeddings, new float[shape.Length - 1], shape));
        Assert.Throws<ArgumentException>(() => engine.PredictNoiseAsync(latents, new float[1], embeddings, new float[shape.Length], shape));
        Assert.Throws<ArgumentException>(() => engine.PredictNoiseAsync(latents, new float[2], embeddings.AsMemory(1), new float[shape.Length], shape));
        Assert.Equal(0, engine.GetStats().QueueDepth);
        Assert.Equal(ProbeNoisePredictor.Hidden, engine.HiddenSize);
    }

    // Holds one single-item call per worker inside the gated probe, submitting each only after the
    // previous one has entered, so every worker (not one batch) is occupied.
    private static async Task<List<(DenoiseWork Work, Task Task)>> HoldEveryWorkerAsync(DenoiserEngine engine, CallGate gate, Random random, int workers)
    {
        var held = new List<(DenoiseWork Work, Task Task)>();
        for (var w = 0; w < workers; w++)
        {
            var work = new DenoiseWork(random, s_small);
            held.Add((work, work.SubmitAsync(engine)));
            await gate.WaitForCallAsync();
        }

        return held;
    }
}
