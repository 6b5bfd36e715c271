using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// Four free-running streams on one shared engine vs four streams with an engine each (MaxBatch 1),
/// both with the provider's default workers; a third contender, the shared engine with one worker
/// (the GPU setting), is timed in the same rounds for reference.
/// </summary>
/// <remarks>
/// A separate engine serves one stream, which never has two requests on it at once, so its extra
/// worker (if any) idles: the separate contender gets the same defaults without gaining from them.
/// </remarks>
internal static class EngineBatchingMeasurement
{
    public static async Task<EngineBatchingResult> RunAsync(BenchmarkContext context, double floorMs)
    {
        const int streams = BenchmarkContext.Streams;
        var token = context.CancellationToken;
        var runtime = context.Runtime;
        var streamOptions = context.StreamOptions(filter: false, FrameEncoding.DefaultJpeg);
        var shared = new ImageStream[streams];
        var separateRuntimes = new ModelRuntime[streams];
        var separate = new ImageStream[streams];
        var oneWorker = new ImageStream[streams];
        var oneWorkerRuntime = runtime.Denoiser.Options.Workers == 1 ? null : context.NewRuntime(runtime.Denoiser.Options with { Workers = 1 });
        var statsBefore = runtime.Denoiser.GetStats();
        try
        {
            for (var s = 0; s < streams; s++)
            {
                shared[s] = await ImageStream.CreateAsync(runtime, streamOptions with { Seed = s + 2 }, token).ConfigureAwait(false);
                separateRuntimes[s] = context.NewRuntime(context.Batching(1));
                separate[s] = await ImageStream.CreateAsync(separateRuntimes[s], streamOptions with { Seed = s + 2 }, token).ConfigureAwait(false);
                if (oneWorkerRuntime is not null)
                {
                    oneWorker[s] = await ImageStream.CreateAsync(oneWorkerRuntime, streamOptions with { Seed = s + 2 }, token).ConfigureAwait(false);
                }
            }

            // Contenders run one after another, so the timer's growth during the shared one's turns is its own.
            var sharedOnnx = new List<double>();
            var timed = false;
            List<Func<int, int, Task>> contenders =
            [
                async (start, count) =>
                {
                    var before = context.Timer.Ticks;
                    await context.RunStreamsAsync(shared, start, count).ConfigureAwait(false);
                    if (timed)
                    {
                        sharedOnnx.Add(OnnxTimer.Milliseconds(context.Timer.Ticks - before) / (streams * count));
                    }

                    timed = true;
                },
                (start, count) => context.RunStreamsAsync(separate, start, count),
            ];
            if (oneWorkerRuntime is not null)
            {
                contenders.Add((start, count) => context.RunStreamsAsync(oneWorker, start, count));
            }

            var timing = await context.MeasureAsync(contenders, 0, 1).ConfigureAwait(false);
            var stats = runtime.Denoiser.GetStats();
            var calls = stats.Calls - statsBefore.Calls;
            var workers = runtime.Denoiser.Options.Workers;
            var sharedFps = streams * timing.FramesPerSecond(0);
            var onnxMs = Median.Of(sharedOnnx);
            var details = context.Details;
            details.Add(new BenchmarkDetail($"4 streams, one shared engine (micro-batched, {workers} worker{(workers == 1 ? string.Empty : "s")})", sharedFps, "frames/s"));
            details.Add(new BenchmarkDetail("4 streams, shared engine: mean UNet batch", calls == 0 ? 0 : (double)(stats.Items - statsBefore.Items) / calls, "items"));
            details.Add(new BenchmarkDetail("4 streams, shared engine: UNet calls overlapping another", calls == 0 ? 0 : 100.0 * (stats.OverlappingCalls - statsBefore.OverlappingCalls) / calls, "%"));
            details.Add(new BenchmarkDetail("4 streams, shared engine: inside ONNX per frame (calls summed)", onnxMs, "ms"));
            details.Add(new BenchmarkDetail("4 streams, shared engine: inside ONNX per frame over the floor", onnxMs / floorMs, "x"));
            details.Add(new BenchmarkDetail("4 streams, an engine each (MaxBatch 1)", streams * timing.FramesPerSecond(1), "frames/s"));
            if (oneWorkerRuntime is not null)
            {
                var single = oneWorkerRuntime.Denoiser.GetStats();
                details.Add(new BenchmarkDetail("4 streams, one shared engine with 1 worker", streams * timing.FramesPerSecond(2), "frames/s"));
                details.Add(new BenchmarkDetail("4 streams, shared engine with 1 worker: mean UNet batch", single.AverageBatchSize, "items"));
            }

            return new EngineBatchingResult(timing.Ratio(0, 1), sharedFps, onnxMs / floorMs);
        }
        finally
        {
            foreach (var stream in shared.Concat(separate).Concat(oneWorker))
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
            }

            foreach (var separateRuntime in separateRuntimes.Append(oneWorkerRuntime))
            {
                if (separateRuntime is not null)
                {
                    await separateRuntime.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
