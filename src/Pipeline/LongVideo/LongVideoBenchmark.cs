using System.Diagnostics;
using System.Numerics.Tensors;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// Temporal consistency and cost of long video (DESIGN.md section 8): for each contender, N frames on one pack,
/// with frame-to-frame similarity of latents and images, flicker, drift from frame 0, throughput, denoiser
/// items per frame and time to first frame. All contenders use the same prompt, seed, size and queue levels.
/// </summary>
public static class LongVideoBenchmark
{
    /// <summary>Measures one contender.</summary>
    public static async Task<LongVideoMeasurement> MeasureAsync(
        ModelRuntime runtime, string packName, LongVideoContender contender, LongVideoOptions options, int frames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 2);
        var images = new float[frames][];
        var latents = new float[frames][];
        double ttff;
        double itemsPerFrame;
        double seconds;
        if (contender.Independent)
        {
            (ttff, itemsPerFrame, seconds) = await IndependentAsync(runtime, options, images, latents, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await using var generator = await LongVideoGenerator.CreateAsync(runtime, options with { Lookahead = contender.Lookahead, CoherentTail = contender.CoherentTail, SubjectGuidance = contender.Guidance }, cancellationToken).ConfigureAwait(false);
            long steady = 0;
            for (int k = 0; k < frames; k++)
            {
                images[k] = new float[generator.ImageLength];
                latents[k] = new float[generator.LatentLength];
                await generator.NextFrameAsync(images[k], latents[k], cancellationToken).ConfigureAwait(false);
                if (k == 0)
                {
                    steady = Stopwatch.GetTimestamp();
                }
            }

            ttff = generator.TimeToFirstFrame!.Value.TotalMilliseconds;
            itemsPerFrame = generator.ItemsPerFrame;
            seconds = Stopwatch.GetElapsedTime(steady).TotalSeconds;
        }

        var similarity = new double[frames];
        var flicker = new double[frames];
        var drift = new double[frames];
        double latentSum = 0;
        similarity[0] = 1;
        drift[0] = 1;
        for (int k = 1; k < frames; k++)
        {
            similarity[k] = CenteredCosine(images[k - 1], images[k]);
            flicker[k] = MeanAbsoluteDifference(images[k - 1], images[k]) * 127.5;
            drift[k] = CenteredCosine(images[0], images[k]);
            latentSum += TensorPrimitives.CosineSimilarity(latents[k - 1], latents[k]);
        }

        return new LongVideoMeasurement
        {
            Pack = packName,
            Contender = contender.Name,
            Frames = frames,
            LatentSimilarity = latentSum / (frames - 1),
            ImageSimilarity = similarity.Skip(1).Average(),
            Flicker = flicker.Skip(1).Average(),
            DriftLast = drift[^1],
            FramesPerSecond = (frames - 1) / Math.Max(seconds, 1e-9),
            ItemsPerFrame = itemsPerFrame,
            TimeToFirstFrameMs = ttff,
            SimilaritySeries = similarity,
            FlickerSeries = flicker,
            DriftSeries = drift,
        };
    }

    /// <summary>Cosine similarity after removing each image's mean (so a shared tint does not count as consistency).</summary>
    public static double CenteredCosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ma = TensorPrimitives.Sum(a) / a.Length;
        double mb = TensorPrimitives.Sum(b) / b.Length;
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double x = a[i] - ma, y = b[i] - mb;
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }

        return ab / Math.Sqrt(Math.Max(aa * bb, 1e-30));
    }

    private static double MeanAbsoluteDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / a.Length;
    }

    /// <summary>Each frame by ordinary DDIM sampling over the same L levels from its own noise (one item per step).</summary>
    private static async Task<(double TtffMs, double ItemsPerFrame, double Seconds)> IndependentAsync(
        ModelRuntime runtime, LongVideoOptions options, float[][] images, float[][] latents, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var schedule = new FifoSchedule(runtime.Scheduler.Schedule, options.Window, options.Partitions, lookahead: false, runtime.Scheduler);
        var embedding = await runtime.EncodePromptAsync(options.Prompts[0].Text, cancellationToken).ConfigureAwait(false);
        var shape = new LatentShape(1, 4, options.Height / 8, options.Width / 8);
        var length = shape.ItemLength;
        var noise = new GaussianNoiseGenerator(options.Seed, 0x494E44);
        var epsilon = new float[length];
        var timestep = new float[1];
        using var client = runtime.Denoiser.RegisterClient();
        double ttff = 0;
        long steady = 0;
        for (int k = 0; k < images.Length; k++)
        {
            var x = latents[k] = new float[length];
            noise.Fill(x);
            for (int level = schedule.Levels - 1; level >= 0; level--)
            {
                timestep[0] = schedule.Timesteps[level];
                await runtime.Denoiser.PredictNoiseAsync(x, timestep, embedding, epsilon, shape, cancellationToken).ConfigureAwait(false);
                schedule.Schedule.ConvertToEpsilon(x, epsilon, schedule.Timesteps[level]);
                schedule.Ddim(level).Apply(x, epsilon, x);
            }

            images[k] = new float[3 * options.Width * options.Height];
            await runtime.Codec.DecodeAsync(x, 1, options.Height, options.Width, images[k], cancellationToken).ConfigureAwait(false);
            if (k == 0)
            {
                ttff = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                steady = Stopwatch.GetTimestamp();
            }
        }

        return (ttff, schedule.Levels, Stopwatch.GetElapsedTime(steady).TotalSeconds);
    }
}
