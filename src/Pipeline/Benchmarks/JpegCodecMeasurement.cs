using System.Diagnostics;
using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>JPEG decode (to the model tensor) plus encode (from it), per frame, on the calling thread.</summary>
internal static class JpegCodecMeasurement
{
    public static double Run(BenchmarkContext context)
    {
        var options = context.Options;
        var size = context.Size;
        using var decoder = new FrameDecoder(new FrameDecoderOptions { Width = size, Height = size });
        using var encoder = new FrameEncoder();
        var tensor = new float[3 * size * size];
        var total = options.Warmup + options.Frames;
        long ticks = 0;
        for (var i = 0; i < total; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            decoder.Decode(context.Frames.Jpeg[i % context.Frames.Count], FrameDescriptor.Jpeg, tensor);
            encoder.Encode(tensor, size, size, FrameEncoding.DefaultJpeg);
            if (i >= options.Warmup)
            {
                ticks += Stopwatch.GetTimestamp() - start;
            }
        }

        context.Report(1);
        return BenchmarkContext.Seconds(ticks) * 1000 / options.Frames;
    }
}
