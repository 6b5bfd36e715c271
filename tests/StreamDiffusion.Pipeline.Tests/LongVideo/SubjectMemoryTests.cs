using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Tests.LongVideo;

public sealed class SubjectMemoryTests
{
    private const int Channels = 4;
    private const int Side = 8;
    private const int Length = Channels * Side * Side;
    private static readonly NoiseSchedule s_schedule = new(SchedulerConfig.StableDiffusion);

    [Theory]
    [InlineData(100, 0.05)]
    [InlineData(500, 0.05)]
    [InlineData(900, 1.0)]
    public void Gradient_matches_a_finite_difference_of_the_masked_L2_with_epsilon_held_constant(int timestep, double step)
    {
        var memory = new SubjectMemory(Channels, Side, Side, momentum: 0.5, step: step);
        memory.Update(Random(1, 0.8f));
        var x = Random(2);
        var epsilon = Random(3);
        var gradient = new float[Length];

        memory.Gradient(x, epsilon, s_schedule, timestep, gradient);

        // Central differences of ℒ(x) with ε fixed, coordinate by coordinate (ℒ is quadratic: exact up to rounding).
        const float h = 1e-2f;
        for (int i = 0; i < Length; i += 7)
        {
            var plus = (float[])x.Clone();
            var minus = (float[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            var numeric = (memory.Loss(plus, epsilon, s_schedule, timestep) - memory.Loss(minus, epsilon, s_schedule, timestep)) / (plus[i] - minus[i]);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 2e-3 * (1 + Math.Abs(numeric)), $"[{i}] analytic {gradient[i]} vs finite difference {numeric}");
        }

        // The step is x − η′·∇ℒ with η′ = min(η, ᾱ_t).
        var stepped = (float[])x.Clone();
        memory.Guide(stepped, epsilon, s_schedule, timestep);
        var eta = Math.Min(step, s_schedule.AlphaBar(timestep));
        Assert.Equal(eta, memory.StepAt(s_schedule, timestep), 12);
        for (int i = 0; i < Length; i++)
        {
            Assert.Equal(x[i] - (eta * gradient[i]), stepped[i], 4);
        }

        Assert.True(memory.Loss(stepped, epsilon, s_schedule, timestep) < memory.Loss(x, epsilon, s_schedule, timestep));
    }

    [Fact]
    public void Bank_is_a_moving_average_of_the_head_latents_with_the_configured_momentum()
    {
        const double momentum = 0.75;
        var memory = new SubjectMemory(Channels, Side, Side, momentum);
        var a = Random(10);
        var b = Random(11);
        var c = Random(12);

        memory.Update(a);
        Assert.Equal(a, memory.Bank.ToArray());
        memory.Update(b);
        memory.Update(c);

        Assert.Equal(3, memory.Updates);
        for (int i = 0; i < Length; i++)
        {
            var expected = (momentum * ((momentum * a[i]) + ((1 - momentum) * b[i]))) + ((1 - momentum) * c[i]);
            Assert.Equal(expected, memory.Bank[i], 5);
        }
    }

    [Fact]
    public void Mask_lies_in_zero_one_and_marks_the_region_that_stands_out()
    {
        // A bright 3x3 subject on a noisy background in every channel.
        var latent = Random(20, 0.1f);
        for (int ch = 0; ch < Channels; ch++)
        {
            for (int y = 2; y < 5; y++)
            {
                for (int x = 2; x < 5; x++)
                {
                    latent[(ch * Side * Side) + (y * Side) + x] += 2f;
                }
            }
        }

        var memory = new SubjectMemory(Channels, Side, Side);
        memory.Update(latent);
        var mask = memory.Mask.ToArray();

        Assert.All(mask, m => Assert.InRange(m, 0f, 1f));
        Assert.True(mask[(3 * Side) + 3] > 0.9f, $"subject {mask[(3 * Side) + 3]}");
        Assert.True(mask[(7 * Side) + 7] < 0.5f, $"background {mask[(7 * Side) + 7]}");

        // Random latents and a flat one: still in [0, 1]; flat has no subject at all.
        memory.Update(Random(21, 5f));
        Assert.All(memory.Mask.ToArray(), m => Assert.InRange(m, 0f, 1f));
        var flat = new float[Channels * Side * Side];
        Array.Fill(flat, 3f);
        var plain = new SubjectMemory(Channels, Side, Side);
        plain.Update(flat);
        Assert.All(plain.Mask.ToArray(), m => Assert.Equal(0f, m));
    }

    [Fact]
    public void Before_the_first_head_frame_guidance_does_nothing()
    {
        var memory = new SubjectMemory(Channels, Side, Side);
        var x = Random(30);
        var before = (float[])x.Clone();
        memory.Guide(x, Random(31), s_schedule, 500);
        Assert.Equal(before, x);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SubjectMemory(Channels, Side, Side, momentum: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SubjectMemory(Channels, Side, Side, step: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SubjectMemory(Channels, Side, Side, step: double.NaN));
        Assert.Throws<ArgumentException>(() => new SubjectMemory(Channels, Side, Side).Update(new float[3]));
    }

    [Fact]
    public async Task With_guidance_the_noisier_slots_move_toward_the_bank()
    {
        // Two identical queues, one iteration, a denoiser whose ε is fixed per slot (so x̂₀ = (x − σ·ε)/α is
        // recoverable after the step); the guided queue's noisier half ends closer to the bank, the rest is untouched.
        var schedule = new FifoSchedule(s_schedule, 4, 2, lookahead: false);
        var frame = new LatentShape(1, Channels, Side, Side);
        var plain = NewQueue(schedule, frame);
        var guided = NewQueue(schedule, frame);
        var memory = new SubjectMemory(Channels, Side, Side, step: 0.5);
        memory.Update(Random(40, 1.5f));
        guided.UseGuidance(memory, schedule.Levels / 2);
        var predictor = new FixedNoisePredictor(schedule.ItemsPerIteration);

        await plain.IterateAsync(predictor);
        await guided.IterateAsync(predictor);

        for (int slot = 0; slot < schedule.SlotCount; slot++)
        {
            if (slot < schedule.Levels / 2)
            {
                Assert.Equal(plain.Slot(slot).ToArray(), guided.Slot(slot).ToArray());
                continue;
            }

            var t = schedule.Timesteps[slot - 1];
            var epsilon = predictor.Noise.AsSpan(slot * Length, Length);
            var before = MaskedDistance(plain.Slot(slot), epsilon, t, memory);
            var after = MaskedDistance(guided.Slot(slot), epsilon, t, memory);
            Assert.True(after < before, $"slot {slot}: distance {after:0.000} with guidance, {before:0.000} without");
        }
    }

    /// <summary>Σ m·(x̂₀ − b)² of a latent at timestep t whose ε is known.</summary>
    private static double MaskedDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> epsilon, int t, SubjectMemory memory)
    {
        double a = s_schedule.Alpha(t), s = s_schedule.Sigma(t), sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            var d = ((x[i] - (s * epsilon[i])) / a) - memory.Bank[i];
            sum += memory.Mask[i % (Side * Side)] * d * d;
        }

        return sum;
    }

    private static FifoQueue NewQueue(FifoSchedule schedule, LatentShape frame)
    {
        var queue = new FifoQueue(schedule, frame, ClipProbePredictor.EmbeddingLength, video: false);
        var noise = new GaussianNoiseGenerator(5);
        for (int s = 0; s < schedule.SlotCount; s++)
        {
            noise.Fill(queue.Slot(s));
            queue.Embedding(s).Fill(0.01f * s);
            queue.MarkEntered(s);
        }

        return queue;
    }

    private static float[] Random(long seed, float scale = 1f)
    {
        var values = new float[Length];
        new GaussianNoiseGenerator(seed).Fill(values);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }

        return values;
    }

    /// <summary>A denoiser whose ε for item i is a fixed noise block, whatever the input.</summary>
    private sealed class FixedNoisePredictor(int items) : INoisePredictor
    {
        public float[] Noise { get; } = Random(50, items);

        public int HiddenSize => ClipProbePredictor.Hidden;

        public ValueTask PredictNoiseAsync(ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise, LatentShape shape, CancellationToken cancellationToken = default)
        {
            Noise.CopyTo(noise);
            return ValueTask.CompletedTask;
        }

        private static float[] Random(long seed, int count)
        {
            var values = new float[count * Length];
            new GaussianNoiseGenerator(seed).Fill(values);
            return values;
        }
    }
}
