using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Throughput of self and initialize residual CFG over full CFG (n = 2).</summary>
internal static class ResidualCfgMeasurement
{
    public static async Task<(double Self, double Initialize)> RunAsync(BenchmarkContext context)
    {
        var shape = context.LatentShape;
        var runtime = context.Runtime;
        CfgMode[] modes = [CfgMode.Full, CfgMode.Self, CfgMode.Initialize];
        var denoisers = modes.Select(m => new StreamBatchDenoiser(runtime.Denoiser, runtime.Scheduler, shape, context.Settings(BenchmarkContext.TwoSteps, m))).ToArray();
        var outputs = modes.Select(_ => new float[shape.Length]).ToArray();
        var contenders = new Func<int, int, Task>[modes.Length];
        for (var m = 0; m < modes.Length; m++)
        {
            var denoiser = denoisers[m];
            var output = outputs[m];
            contenders[m] = (start, count) => context.PerFrameAsync(start, count, i => denoiser.DenoiseAsync(context.Latent(i), output, context.CancellationToken));
        }

        var timing = await context.MeasureAsync(contenders, 0, 1).ConfigureAwait(false);
        for (var m = 0; m < modes.Length; m++)
        {
            context.Details.Add(new BenchmarkDetail($"CFG {modes[m].ToString().ToLowerInvariant()} ({denoisers[m].SteadyItemsPerCall} UNet items per frame)", timing.FramesPerSecond(m), "frames/s"));
        }

        return (timing.Ratio(1, 0), timing.Ratio(2, 0));
    }
}
