using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>
/// Why one greedy stream cannot starve the others: a stream has at most one request outstanding per engine (it
/// awaits each model call before its next frame), and the engine serves its queue oldest first, so a stream that
/// resubmits the moment its call returns queues behind every request already waiting.
/// </summary>
public sealed class EngineFairnessTests
{
    [Fact]
    public async Task A_client_that_resubmits_at_once_cannot_run_again_while_other_clients_requests_wait()
    {
        using var gate = new CallGate();
        var probe = new ProbeNoisePredictor(gate);
        await using var engine = new DenoiserEngine(probe, new BatchingOptions { Workers = 1, MaxBatch = 1, MaxDelay = TimeSpan.Zero });

        // Each client has its own latent shape, so the model's call log says whose call it was.
        var greedyShape = new LatentShape(1, 4, 8, 8);
        LatentShape[] pacedShapes = [new(1, 4, 6, 10), new(1, 4, 4, 4), new(1, 4, 2, 2)];
        gate.Close();
        var greedy = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                await new DenoiseWork(new Random(i), greedyShape).SubmitAsync(engine);
            }
        });
        await gate.WaitForCallAsync();
        var paced = pacedShapes.Select((shape, i) => new DenoiseWork(new Random(100 + i), shape).SubmitAsync(engine)).ToArray();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (engine.GetStats().QueueDepth < paced.Length && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }

        gate.Open();
        await Task.WhenAll(paced);
        await greedy;

        // The greedy client's second call waits for all three requests queued during its first.
        Assert.Equal([8, 6, 4, 2, 8, 8], probe.Calls.Select(call => call.Height));
    }
}
