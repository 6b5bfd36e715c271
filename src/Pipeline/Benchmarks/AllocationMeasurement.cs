using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Managed bytes allocated per frame in steady state (JPEG in and out, the live path).</summary>
internal static class AllocationMeasurement
{
    public const string Counter =
        "GC.GetTotalAllocatedBytes(precise: true), process-wide (every thread: caller, engine loops, thread pool), over the timed frames after warm-up, JPEG in and out, filter off";

    public static async Task<double> RunAsync(BenchmarkContext context)
    {
        var options = context.Options;
        var frames = context.Frames;
        var token = context.CancellationToken;
        var stream = await ImageStream.CreateAsync(context.Runtime, context.StreamOptions(filter: false, FrameEncoding.DefaultJpeg), token).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < options.Warmup; i++)
            {
                await stream.ProcessFrameAsync(frames.Jpeg[i % frames.Count], FrameDescriptor.Jpeg, token).ConfigureAwait(false);
            }

            context.Report(0.2);

            // No progress reports inside the window: the display's allocations would be counted too.
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = options.Warmup; i < options.Warmup + options.Frames; i++)
            {
                await stream.ProcessFrameAsync(frames.Jpeg[i % frames.Count], FrameDescriptor.Jpeg, token).ConfigureAwait(false);
            }

            var after = GC.GetTotalAllocatedBytes(precise: true);
            return (double)(after - before) / options.Frames;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
