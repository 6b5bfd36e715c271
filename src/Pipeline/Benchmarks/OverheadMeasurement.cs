using System.Diagnostics;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// One stream, raw RGB24 in and out (no JPEG), filter off, timed in rounds that take turns with the
/// <see cref="OnnxFloor"/>: the frame time, the part inside the ONNX sessions, the rest (conversion,
/// engine hand-offs, staging copies, scheduler math) and the inside-ONNX time over the floor. Every
/// figure is the median over rounds.
/// </summary>
internal static class OverheadMeasurement
{
    public static async Task<OverheadResult> RunAsync(BenchmarkContext context, OnnxFloor floor)
    {
        var options = context.Options;
        var frames = context.Frames;
        var token = context.CancellationToken;
        var runtime = context.Runtime;
        var stream = await ImageStream.CreateAsync(runtime, context.StreamOptions(filter: false, new FrameEncoding { Format = FrameFormat.Rgb24 }), token).ConfigureAwait(false);
        try
        {
            var descriptor = FrameDescriptor.Rgb24(context.Size, context.Size);
            for (var i = 0; i < options.Warmup; i++)
            {
                await stream.ProcessFrameAsync(frames.Raw[i % frames.Count], descriptor, token).ConfigureAwait(false);
            }

            floor.Run(0, options.Warmup);
            context.Report(0.2);

            var frameMs = new List<double>();
            var onnxMs = new List<double>();
            var overheadMs = new List<double>();
            var floorMs = new List<double>();
            var onnxVsFloor = new List<double>();
            var conversionMs = 0.0;
            var queueWait = TimeSpan.Zero;
            long callsBefore = 0, callsAfter = 0, inlineBefore = 0, inlineAfter = 0;
            var done = 0;
            var round = 0;
            while (done < options.Frames)
            {
                var chunk = Math.Min(options.ChunkFrames, options.Frames - done);
                var first = options.Warmup + done;
                long floorTicks = 0;

                // Alternate who goes first, as in the other interleaved measurements.
                if (round % 2 == 1)
                {
                    floorTicks = floor.Run(first, chunk);
                }

                var denoiserStats = runtime.Denoiser.GetStats();
                var codecStats = runtime.Codec.GetStats();
                var denoiserBefore = denoiserStats.TotalQueueWait;
                var codecBefore = codecStats.TotalQueueWait;
                callsBefore += denoiserStats.Calls + codecStats.Calls;
                inlineBefore += denoiserStats.InlineCalls + codecStats.InlineCalls;
                var onnxBefore = context.Timer.Ticks;
                var start = Stopwatch.GetTimestamp();
                for (var i = first; i < first + chunk; i++)
                {
                    var result = await stream.ProcessFrameAsync(frames.Raw[i % frames.Count], descriptor, token).ConfigureAwait(false);
                    conversionMs += result.Timings.DecodeMs + result.Timings.EncodeMs;
                }

                var wall = Stopwatch.GetTimestamp() - start;
                var onnx = context.Timer.Ticks - onnxBefore;

                // Submission to start of the model call, summed over the frame's three engine requests: mostly
                // the engine thread's wake-up, which on a busy machine waits for a time slice.
                denoiserStats = runtime.Denoiser.GetStats();
                codecStats = runtime.Codec.GetStats();
                queueWait += denoiserStats.TotalQueueWait - denoiserBefore + (codecStats.TotalQueueWait - codecBefore);
                callsAfter += denoiserStats.Calls + codecStats.Calls;
                inlineAfter += denoiserStats.InlineCalls + codecStats.InlineCalls;
                if (round % 2 == 0)
                {
                    floorTicks = floor.Run(first, chunk);
                }

                var perFrame = 1000.0 / chunk;
                frameMs.Add(BenchmarkContext.Seconds(wall) * perFrame);
                onnxMs.Add(BenchmarkContext.Seconds(onnx) * perFrame);
                overheadMs.Add(BenchmarkContext.Seconds(wall - onnx) * perFrame);
                floorMs.Add(BenchmarkContext.Seconds(floorTicks) * perFrame);
                onnxVsFloor.Add((double)onnx / Math.Max(floorTicks, 1));
                done += chunk;
                round++;
                context.Report(0.2 + (0.8 * done / options.Frames));
            }

            var figures = new OverheadResult(
                Median.Of(frameMs),
                Median.Of(onnxMs),
                Median.Of(overheadMs),
                Median.Of(floorMs),
                Median.Of(onnxVsFloor),
                conversionMs / options.Frames,
                queueWait.TotalMilliseconds / options.Frames);
            var details = context.Details;
            details.Add(new BenchmarkDetail("single stream, raw in/out: frame time", figures.FrameMs, "ms"));
            details.Add(new BenchmarkDetail("single stream, raw in/out: inside ONNX sessions", figures.OnnxMs, "ms"));
            details.Add(new BenchmarkDetail($"floor: the frame's ONNX calls back to back (encode, UNet x{floor.ItemsPerFrame}, decode)", figures.FloorMs, "ms"));
            details.Add(new BenchmarkDetail("single stream: inside ONNX over the floor", figures.OnnxVsFloor, "x"));
            details.Add(new BenchmarkDetail("single stream: RGB24 <-> tensor conversion (part of the overhead)", figures.ConversionMs, "ms"));
            details.Add(new BenchmarkDetail("single stream: engine hand-off wait (part of the overhead)", figures.QueueWaitMs, "ms"));
            details.Add(new BenchmarkDetail("single stream: the rest: scheduler math, output checks, thread hops, bookkeeping (part of the overhead)", Math.Max(0, figures.OverheadMs - figures.ConversionMs - figures.QueueWaitMs), "ms"));
            var calls = callsAfter - callsBefore;
            details.Add(new BenchmarkDetail("single stream: engine calls run on the stream's own thread (lone client, RunAloneInline)", calls > 0 ? 100.0 * (inlineAfter - inlineBefore) / calls : 0, "%"));
            details.Add(new BenchmarkDetail("overhead share of a frame", figures.FrameMs > 0 ? 100 * figures.OverheadMs / figures.FrameMs : 0, "%"));
            return figures;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
