using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Fraction of UNet calls avoided by the similarity filter on the same frame repeated and on the pan.</summary>
internal static class SimilarityFilterMeasurement
{
    public static async Task<(double Static, double Moving)> RunAsync(BenchmarkContext context)
    {
        var options = context.Options;
        var frames = context.Frames;
        var token = context.CancellationToken;
        var streamOptions = context.StreamOptions(filter: true, FrameEncoding.DefaultJpeg);
        var still = await ImageStream.CreateAsync(context.Runtime, streamOptions, token).ConfigureAwait(false);
        var moving = await ImageStream.CreateAsync(context.Runtime, streamOptions, token).ConfigureAwait(false);
        try
        {
            var total = options.Warmup + options.FilterFrames;
            long stillCalls = 0;
            long movingCalls = 0;
            for (var i = 0; i < total; i++)
            {
                if (i == options.Warmup)
                {
                    stillCalls = still.UNetCalls;
                    movingCalls = moving.UNetCalls;
                }

                await still.ProcessFrameAsync(frames.Jpeg[0], FrameDescriptor.Jpeg, token).ConfigureAwait(false);
                await moving.ProcessFrameAsync(frames.Jpeg[i % frames.Count], FrameDescriptor.Jpeg, token).ConfigureAwait(false);
                context.Report((double)(i + 1) / total);
            }

            // A warm Stream Batch stream makes exactly one UNet call per processed frame, so without the
            // filter these frames would have cost FilterFrames calls.
            stillCalls = still.UNetCalls - stillCalls;
            movingCalls = moving.UNetCalls - movingCalls;
            var similarity = 0.0;
            for (var i = options.Warmup; i < total; i++)
            {
                similarity += SimilarityFilter.CosineSimilarity(frames.Tensors[(i - 1) % frames.Count], frames.Tensors[i % frames.Count]);
            }

            context.Details.Add(new BenchmarkDetail("filter, static input: UNet calls (of one per frame without filter)", stillCalls, $"of {options.FilterFrames}"));
            context.Details.Add(new BenchmarkDetail("filter, moving input: UNet calls (of one per frame without filter)", movingCalls, $"of {options.FilterFrames}"));
            context.Details.Add(new BenchmarkDetail("moving input: mean cosine similarity of consecutive frames", similarity / options.FilterFrames, string.Empty));
            return (1 - ((double)stillCalls / options.FilterFrames), 1 - ((double)movingCalls / options.FilterFrames));
        }
        finally
        {
            await still.DisposeAsync().ConfigureAwait(false);
            await moving.DisposeAsync().ConfigureAwait(false);
        }
    }
}
