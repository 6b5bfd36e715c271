using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// Stream Batch (one UNet call of n items per frame, output n − 1 calls later) against the zero-latency
/// mode (<see cref="StreamSettings.ZeroLatency"/>: the frame's n steps as n UNet calls of one item,
/// output in the same call), i.e. sequential denoising: throughput ratio and latency of each.
/// </summary>
internal static class StreamBatchMeasurement
{
    public static async Task<StreamBatchResult> RunAsync(BenchmarkContext context, int[] tIndex, double from, double to)
    {
        var n = tIndex.Length;
        var shape = context.LatentShape;
        var runtime = context.Runtime;
        var batched = new StreamBatchDenoiser(runtime.Denoiser, runtime.Scheduler, shape, context.Settings(tIndex, CfgMode.Self));
        var zeroLatency = new StreamBatchDenoiser(runtime.Denoiser, runtime.Scheduler, shape, context.Settings(tIndex, CfgMode.Self) with { ZeroLatency = true });
        var batchedOut = new float[shape.Length];
        var zeroLatencyOut = new float[shape.Length];
        var token = context.CancellationToken;

        var timing = await context.MeasureAsync(
            [
                (start, count) => context.PerFrameAsync(start, count, i => batched.DenoiseAsync(context.Latent(i), batchedOut, token)),
                (start, count) => context.PerFrameAsync(start, count, i => zeroLatency.DenoiseAsync(context.Latent(i), zeroLatencyOut, token)),
            ],
            from,
            to).ConfigureAwait(false);

        var options = context.Options;
        BenchmarkContext.CheckCalls(batched.UNetCalls, (long)options.Warmup - 1 + n + options.Frames, "Stream Batch");
        BenchmarkContext.CheckCalls(zeroLatency.UNetCalls, (long)n * (options.Warmup + options.Frames), "zero-latency");
        var batchedFps = timing.FramesPerSecond(0);
        var zeroLatencyFps = timing.FramesPerSecond(1);

        // A frame enters Stream Batch at one call and leaves n − 1 calls later: n frame times from input
        // to output at the steady rate. Zero-latency returns it from the call it entered.
        var batchedLatency = n * 1000 / batchedFps;
        var zeroLatencyLatency = 1000 / zeroLatencyFps;
        context.Details.Add(new BenchmarkDetail($"n={n} Stream Batch (1 UNet call of {n} items per frame)", batchedFps, "frames/s"));
        context.Details.Add(new BenchmarkDetail($"n={n} zero-latency / sequential ({n} UNet calls of 1 item per frame)", zeroLatencyFps, "frames/s"));
        context.Details.Add(new BenchmarkDetail($"n={n} Stream Batch: latency, input to output ({n} frame times)", batchedLatency, "ms"));
        context.Details.Add(new BenchmarkDetail($"n={n} zero-latency: latency, input to output (1 frame time)", zeroLatencyLatency, "ms"));
        return new StreamBatchResult(timing.Ratio(0, 1), zeroLatencyFps, batchedLatency, zeroLatencyLatency);
    }
}
