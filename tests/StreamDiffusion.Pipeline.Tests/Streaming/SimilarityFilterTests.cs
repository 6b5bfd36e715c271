using StreamDiffusion.Pipeline.Streaming;
using static StreamDiffusion.Pipeline.Tests.Streaming.StreamTestData;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

public class SimilarityFilterTests
{
    private static float[] Image(int seed, int length = 3 * 32 * 32)
    {
        var random = new GaussianNoiseGenerator(seed, 5);
        var image = new float[length];
        for (int i = 0; i < length; i++)
        {
            image[i] = (float)random.NextUniform();
        }

        return image;
    }

    [Fact]
    public void Static_input_skips_at_least_85_percent_and_never_more_than_max_in_a_row()
    {
        var filter = new SimilarityFilter(seed: 1, new SimilarityFilterSettings(true, 0.98, 10));
        float[] frame = Image(1);
        int run = 0;
        int longest = 0;
        for (int i = 0; i < 220; i++)
        {
            bool skip = filter.ShouldSkip(frame);
            run = skip ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        Assert.Equal(220, filter.SkippedFrames + filter.ProcessedFrames);
        Assert.True(filter.SkippedFrames >= 0.85 * 220, $"skipped {filter.SkippedFrames} of 220");
        Assert.Equal(10, longest);
        Assert.Equal(1.0, filter.LastSimilarity, 1e-6);
    }

    [Fact]
    public void Strongly_varying_input_skips_little()
    {
        var filter = new SimilarityFilter(seed: 1);
        for (int i = 0; i < 200; i++)
        {
            filter.ShouldSkip(Image(i));
        }

        Assert.True(filter.SkippedFrames <= 10, $"skipped {filter.SkippedFrames} of 200");
    }

    [Fact]
    public void Skip_probability_follows_the_formula()
    {
        var filter = new SimilarityFilter(seed: 3, new SimilarityFilterSettings(true, 0.9, 10));
        float[] reference = [1, 0, 0, 0];
        filter.ShouldSkip(reference);

        // cos = 0.95 → p = 1 − 0.05/0.1 = 0.5
        float[] near = [0.95f, MathF.Sqrt(1 - (0.95f * 0.95f)), 0, 0];
        filter.ShouldSkip(near);
        Assert.Equal(0.95, filter.LastSimilarity, 1e-6);
        Assert.Equal(0.5, filter.LastSkipProbability, 1e-5);

        // A dissimilar frame has p = 0 and is always processed.
        filter.Reset();
        filter.ShouldSkip(reference);
        Assert.False(filter.ShouldSkip([0, 1, 0, 0]));
        Assert.Equal(0, filter.LastSkipProbability);
    }

    [Fact]
    public void Partial_similarity_skips_about_as_often_as_the_probability_says()
    {
        // Alternating frames with cos ≈ 0.99 at threshold 0.98 → p ≈ 0.5 per comparison with the reference.
        var filter = new SimilarityFilter(seed: 9, new SimilarityFilterSettings(true, 0.98, 1000));
        float c = 0.99f;
        float s = MathF.Sqrt(1 - (c * c));
        float[] a = [1, 0];
        float[] b = [c, s];
        filter.ShouldSkip(a);
        int comparisons = 0;
        for (int i = 0; i < 2000; i++)
        {
            // Always offer the frame that is not the current reference: each frame is at cos 0.99.
            float[] frame = (filter.ProcessedFrames % 2 == 1) ? b : a;
            filter.ShouldSkip(frame);
            comparisons++;
        }

        double rate = (double)filter.SkippedFrames / comparisons;
        Assert.InRange(rate, 0.45, 0.55);
    }

    [Fact]
    public void Decisions_are_reproducible_per_seed()
    {
        bool[] Decisions(long seed)
        {
            // Every offered frame is at cos 0.95 from the reference: p = 0.5 at threshold 0.9.
            var filter = new SimilarityFilter(seed, new SimilarityFilterSettings(true, 0.9, 5));
            float[] a = [1, 0];
            float[] b = [0.95f, MathF.Sqrt(1 - (0.95f * 0.95f))];
            filter.ShouldSkip(a);
            return [.. Enumerable.Range(0, 100).Select(_ => filter.ShouldSkip(filter.ProcessedFrames % 2 == 1 ? b : a))];
        }

        Assert.Equal(Decisions(4), Decisions(4));
        Assert.NotEqual(Decisions(4), Decisions(5));
    }

    [Fact]
    public void Disabled_filter_never_skips_and_settings_apply_next_frame()
    {
        var filter = new SimilarityFilter(seed: 1, new SimilarityFilterSettings(Enabled: false));
        float[] frame = Image(2);
        for (int i = 0; i < 20; i++)
        {
            Assert.False(filter.ShouldSkip(frame));
        }

        filter.Settings = new SimilarityFilterSettings(true, 0.98, 3);
        bool[] decisions = [.. Enumerable.Range(0, 8).Select(_ => filter.ShouldSkip(frame))];
        Assert.Equal([false, true, true, true, false, true, true, true], decisions);
        Assert.Throws<ArgumentOutOfRangeException>(() => filter.Settings = new SimilarityFilterSettings(true, 1.5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => filter.Settings = new SimilarityFilterSettings(true, 0.9, -1));
    }

    [Fact]
    public void Cosine_similarity_is_accumulated_in_double()
    {
        // A 512x512x3 frame with a large common offset and small differences: the float sums of the
        // old code lost the difference; the double reference keeps it.
        const int length = 512 * 512 * 3;
        var a = new float[length];
        var b = new float[length];
        var random = new GaussianNoiseGenerator(3, 1);
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < length; i++)
        {
            a[i] = 0.7f + (0.01f * (float)random.NextGaussian());
            b[i] = a[i] + (0.002f * (float)random.NextGaussian());
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        double expected = dot / (Math.Sqrt(na) * Math.Sqrt(nb));
        Assert.Equal(expected, SimilarityFilter.CosineSimilarity(a, b), 1e-12);

        // Odd lengths take the scalar tail.
        Assert.Equal(1, SimilarityFilter.CosineSimilarity(a.AsSpan(0, 1001), a.AsSpan(0, 1001)), 1e-12);
    }

    [Fact]
    public void Cosine_similarity_is_safe_on_zero_frames()
    {
        Assert.Equal(0, SimilarityFilter.CosineSimilarity(new float[8], new float[8]));
        Assert.Equal(1, SimilarityFilter.CosineSimilarity([1, 2, 3], [2, 4, 6]), 1e-6);
        Assert.Equal(-1, SimilarityFilter.CosineSimilarity([1, 2, 3], [-1, -2, -3]), 1e-6);
    }

    [Fact]
    public void Static_scene_cuts_unet_work_when_the_caller_reuses_the_previous_output()
    {
        var probe = new ProbeNoisePredictor();
        var stream = new StreamBatchDenoiser(probe, Scheduler, Shape(1), Settings(TIndex(2)));
        var filter = new SimilarityFilter(seed: 2);
        float[] latent = Frames(1, 1)[0];
        float[] image = Image(7);
        var output = new float[latent.Length];
        float[]? lastOutput = null;
        for (int i = 0; i < 110; i++)
        {
            if (filter.ShouldSkip(image))
            {
                Assert.NotNull(lastOutput);
                continue;
            }

            lastOutput = Run(stream, latent);
        }

        // 1 + 10 forced frames processed (the fill call makes 2 UNet calls).
        Assert.Equal(filter.ProcessedFrames, stream.Calls);
        Assert.True(probe.Calls <= 12, $"{probe.Calls} UNet calls for 110 static frames");
    }
}
