using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>
/// How the micro-batching engine contains model faults: NaN/Inf outputs fail only the request that holds them,
/// a worker killed by an <see cref="OutOfMemoryException"/> is replaced, and workers that keep dying stop the engine
/// with a reason instead of spinning or hanging their callers.
/// </summary>
public sealed class EngineFaultTests
{
    private static readonly LatentShape s_shape = new(1, 4, 8, 8);

    [Fact]
    public async Task NaN_in_one_requests_outputs_fails_that_request_alone_and_leaves_its_buffer_unwritten()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        var predictor = new PoisonedItemsPredictor(probe);
        await using var engine = new DenoiserEngine(predictor, new BatchingOptions { Workers = 1, MaxBatch = 8, MaxDelay = TimeSpan.Zero });

        // Hold the worker in a first call so the next two requests queue and share one call.
        gate.Close();
        var first = new DenoiseWork(new Random(1), s_shape);
        var held = first.SubmitAsync(engine);
        await gate.WaitForCallAsync();
        var poisoned = new DenoiseWork(new Random(2), s_shape);
        poisoned.Latents[0] = PoisonedItemsPredictor.Marker;
        poisoned.Noise.AsSpan().Fill(5f);
        var healthy = new DenoiseWork(new Random(3), s_shape);
        var poisonedTask = poisoned.SubmitAsync(engine);
        var healthyTask = healthy.SubmitAsync(engine);
        gate.Open();
        await held;

        var error = await Assert.ThrowsAsync<NonFiniteOutputException>(() => poisonedTask);
        Assert.Contains("NaN or infinite", error.Message, StringComparison.Ordinal);
        Assert.All(poisoned.Noise, value => Assert.Equal(5f, value));
        await healthyTask;
        healthy.AssertMatchesDirect();
        Assert.Contains(probe.Calls, call => call.Batch == 2);
    }

    [Fact]
    public async Task A_worker_killed_by_OutOfMemory_is_replaced_and_the_engine_keeps_serving()
    {
        var probe = new ProbeNoisePredictor();
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { Workers = 2 });
        probe.ThrowOnNextCall(new OutOfMemoryException("injected"));
        var killed = new DenoiseWork(new Random(4), s_shape);
        await Assert.ThrowsAsync<OutOfMemoryException>(() => killed.SubmitAsync(engine));

        for (var i = 0; i < 5; i++)
        {
            var work = new DenoiseWork(new Random(10 + i), s_shape);
            await work.SubmitAsync(engine);
            work.AssertMatchesDirect();
        }

        var stats = engine.GetStats();
        Assert.Equal(1, stats.WorkerRestarts);
        Assert.Null(stats.FaultReason);
        Assert.Null(engine.FaultReason);
    }

    [Fact]
    public async Task Workers_dying_past_the_restart_budget_stop_the_engine_which_then_refuses_work_and_disposes()
    {
        var engine = new DenoiserEngine(new AlwaysOutOfMemoryPredictor(), new BatchingOptions { Workers = 1, MaxWorkerRestarts = 2 });
        for (var i = 0; i < 3; i++)
        {
            var work = new DenoiseWork(new Random(20 + i), s_shape);
            await Assert.ThrowsAsync<OutOfMemoryException>(() => work.SubmitAsync(engine));
        }

        // The third death lands just after its caller was failed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (engine.FaultReason is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Contains("3 engine worker failure(s) in a row", engine.FaultReason, StringComparison.Ordinal);
        Assert.Equal(2, engine.GetStats().WorkerRestarts);
        var refused = new DenoiseWork(new Random(30), s_shape);
        await Assert.ThrowsAsync<EngineFaultedException>(() => refused.SubmitAsync(engine));
        await engine.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void The_restart_budget_must_not_be_negative() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchingOptions { MaxWorkerRestarts = -1 }.Validate());

    /// <summary>Writes NaN into the outputs of every batch item whose first latent is <see cref="Marker"/>.</summary>
    private sealed class PoisonedItemsPredictor(INoisePredictor inner) : INoisePredictor
    {
        public const float Marker = 777f;

        public int HiddenSize => inner.HiddenSize;

        public async ValueTask PredictNoiseAsync(ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise, LatentShape shape, CancellationToken cancellationToken = default)
        {
            await inner.PredictNoiseAsync(latents, timesteps, textEmbeddings, noise, shape, cancellationToken);
            for (var b = 0; b < shape.Batch; b++)
            {
                if (latents.Span[b * shape.ItemLength] == Marker)
                {
                    noise.Span[(b * shape.ItemLength) + 3] = float.NaN;
                }
            }
        }
    }

    private sealed class AlwaysOutOfMemoryPredictor : INoisePredictor
    {
        public int HiddenSize => ProbeNoisePredictor.Hidden;

        public ValueTask PredictNoiseAsync(ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise, LatentShape shape, CancellationToken cancellationToken = default) =>
            throw new OutOfMemoryException("injected");
    }
}
