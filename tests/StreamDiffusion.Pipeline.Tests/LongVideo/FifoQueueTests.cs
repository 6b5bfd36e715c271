using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Tests.LongVideo;

public sealed class FifoQueueTests
{
    private static readonly NoiseSchedule s_schedule = new(SchedulerConfig.StableDiffusion);
    private static readonly LatentShape s_frame = new(1, 4, 4, 4);

    [Theory]
    [InlineData(8, 4, false)]
    [InlineData(8, 4, true)]
    [InlineData(16, 3, true)]
    public void Timesteps_are_diagonal_and_strictly_increasing_from_head_to_tail(int window, int partitions, bool lookahead)
    {
        var schedule = new FifoSchedule(s_schedule, window, partitions, lookahead);

        Assert.Equal(window * partitions, schedule.Levels);
        Assert.Equal(schedule.Levels + (lookahead ? window / 2 : 0), schedule.SlotCount);
        Assert.Equal(0, schedule.Timesteps[0]);
        Assert.Equal(999, schedule.Timesteps[^1]);
        for (int level = 1; level < schedule.Levels; level++)
        {
            Assert.True(schedule.Timesteps[level] > schedule.Timesteps[level - 1], $"level {level}");
        }

        // Diagonal: slot k of the denoising region sits at level k, so each iteration moves it one level down.
        for (int slot = schedule.HeadSlot; slot < schedule.SlotCount; slot++)
        {
            Assert.Equal(schedule.Timesteps[slot - schedule.HeadSlot], schedule.TimestepOfSlot(slot));
            var ddim = schedule.Ddim(slot - schedule.HeadSlot);
            Assert.Equal(slot == schedule.HeadSlot ? -1 : schedule.Timesteps[slot - schedule.HeadSlot - 1], ddim.PreviousTimestep);
        }
    }

    [Fact]
    public void Too_many_levels_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FifoSchedule(s_schedule, 16, 63, lookahead: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FifoSchedule(s_schedule, 8, 0, lookahead: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FifoSchedule(s_schedule, 7, 2, lookahead: true));
    }

    [Fact]
    public void Lookahead_windows_half_overlap_and_write_exactly_their_noisier_half_once_per_slot()
    {
        var schedule = new FifoSchedule(s_schedule, 8, 3, lookahead: true);
        Assert.Equal(6, schedule.Windows.Length);
        var written = new int[schedule.SlotCount];
        foreach (var window in schedule.Windows)
        {
            Assert.Equal(window.Start + 4, window.WriteStart);
            Assert.Equal(window.Start + 8, window.WriteEnd);
            for (int s = window.WriteStart; s < window.WriteEnd; s++)
            {
                written[s]++;
            }
        }

        Assert.All(written.AsSpan(0, schedule.HeadSlot).ToArray(), count => Assert.Equal(0, count));
        Assert.All(written.AsSpan(schedule.HeadSlot).ToArray(), count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Lookahead_iteration_changes_only_the_denoising_slots_and_each_from_its_window_noisier_half()
    {
        var schedule = new FifoSchedule(s_schedule, 8, 2, lookahead: true);
        var queue = NewQueue(schedule, video: true, seed: 3);
        var before = Snapshot(queue);
        var probe = new ClipProbePredictor();

        await queue.IterateAsync(probe);

        // Context slots are read, never written.
        for (int s = 0; s < schedule.HeadSlot; s++)
        {
            Assert.Equal(before[s], queue.Slot(s).ToArray());
        }

        // Each denoising slot equals the DDIM step with ε from its window, where it sits in the noisier half
        // (its cleaner neighbour in that window is slot − 1).
        for (int s = schedule.HeadSlot; s < schedule.SlotCount; s++)
        {
            var expected = ReferenceStep(schedule, before, s, queue);
            AssertClose(expected, queue.Slot(s));
        }

        // One call with 2n clips of f frames each.
        Assert.Single(probe.Shapes);
        Assert.Equal(4, probe.Shapes[0].Batch);
        Assert.Equal(8, probe.Shapes[0].Frames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Result_does_not_depend_on_window_order_and_equals_the_tail_to_head_in_place_reference(bool lookahead)
    {
        var schedule = new FifoSchedule(s_schedule, 4, 4, lookahead);
        var natural = NewQueue(schedule, video: true, seed: 11);
        var before = Snapshot(natural);
        await natural.IterateAsync(new ClipProbePredictor());

        var random = new Random(5);
        for (int trial = 0; trial < 4; trial++)
        {
            var order = Enumerable.Range(0, schedule.Windows.Length).OrderBy(_ => random.Next()).ToArray();
            var permuted = NewQueue(schedule, video: true, seed: 11);
            await permuted.IterateAsync(new ClipProbePredictor(), order);
            Assert.Equal(Snapshot(natural), Snapshot(permuted));
        }

        // The reference loop: windows from tail to head, in place, each writing its range.
        var reference = before.Select(a => (float[])a.Clone()).ToArray();
        for (int w = schedule.Windows.Length - 1; w >= 0; w--)
        {
            var window = schedule.Windows[w];
            var current = reference.Select(a => (float[])a.Clone()).ToArray();
            for (int s = window.WriteStart; s < window.WriteEnd; s++)
            {
                var neighbour = s > window.Start ? current[s - 1] : null;
                reference[s] = Step(schedule, current[s], s, natural.Embedding(window.Start + (schedule.Window / 2)).ToArray(), neighbour);
            }
        }

        for (int s = 0; s < schedule.SlotCount; s++)
        {
            AssertClose(reference[s], natural.Slot(s));
        }
    }

    [Fact]
    public async Task Frames_leave_the_head_in_the_order_they_entered()
    {
        var schedule = new FifoSchedule(s_schedule, 4, 2, lookahead: false);
        var queue = new FifoQueue(schedule, s_frame, ClipProbePredictor.EmbeddingLength, video: false);
        var zero = new ZeroPredictor();

        // Tag every latent with a number; with ε = 0 each DDIM step only rescales by α_prev/α, so a frame that
        // entered at level k leaves as tag / α(ts[k]).
        for (int s = 0; s < schedule.SlotCount; s++)
        {
            queue.Slot(s).Fill(s + 1);
            queue.MarkEntered(s);
        }

        var head = new float[queue.FrameLength];
        var tags = new List<double>();
        for (int frame = 0; frame < 20; frame++)
        {
            await queue.IterateAsync(zero);
            var entered = queue.EnteredLevel(schedule.HeadSlot);
            queue.CopyHead(head);
            tags.Add(Math.Round(head[0] * s_schedule.Alpha(schedule.Timesteps[entered]), 3));
            queue.Shift();
            queue.Slot(schedule.TailSlot).Fill(1000 + frame);
            queue.MarkEntered(schedule.TailSlot);
        }

        var expected = Enumerable.Range(1, schedule.Levels).Select(i => (double)i).Concat(Enumerable.Range(1000, 20 - schedule.Levels).Select(i => (double)i));
        Assert.Equal(expected, tags);
    }

    [Fact]
    public async Task Every_emitted_frame_went_through_every_level_from_its_entry_to_clean()
    {
        var schedule = new FifoSchedule(s_schedule, 4, 3, lookahead: false);
        var queue = new FifoQueue(schedule, s_frame, ClipProbePredictor.EmbeddingLength, video: false);
        var probe = new ClipProbePredictor { Record = false };
        var noise = new GaussianNoiseGenerator(9);
        for (int s = 0; s < schedule.SlotCount; s++)
        {
            noise.Fill(queue.Slot(s));
            queue.MarkEntered(s);
        }

        var entering = new Queue<float[]>();
        var head = new float[queue.FrameLength];
        for (int frame = 0; frame < 40; frame++)
        {
            await queue.IterateAsync(probe);
            var entered = queue.EnteredLevel(schedule.HeadSlot);
            Assert.Equal(entered + 1, queue.StepsTaken(schedule.HeadSlot));
            queue.CopyHead(head);
            if (frame >= schedule.Levels)
            {
                // Sequential reference: the same latent through all L DDIM steps, one after another.
                var x = entering.Dequeue();
                for (int level = schedule.Levels - 1; level >= 0; level--)
                {
                    x = Step(schedule, x, level, new float[ClipProbePredictor.EmbeddingLength], null);
                }

                AssertClose(x, head);
            }

            queue.Shift();
            noise.Fill(queue.Slot(schedule.TailSlot));
            queue.MarkEntered(schedule.TailSlot);
            entering.Enqueue(queue.Slot(schedule.TailSlot).ToArray());
        }
    }

    [Fact]
    public async Task Memory_stays_constant_over_500_frames()
    {
        // Every feature on: lookahead, coherent tail, subject memory with guidance.
        var schedule = new FifoSchedule(s_schedule, 4, 2, lookahead: true);
        var queue = NewQueue(schedule, video: true, seed: 2);
        var probe = new ClipProbePredictor { Record = false };
        var floats = queue.BufferFloats;
        var tail = new CoherentTailSampler(4, 4, 4, seed: 1);
        var memory = new SubjectMemory(4, 4, 4);
        queue.UseGuidance(memory, schedule.Levels / 2);
        var head = new float[queue.FrameLength];

        async Task Frames(int count)
        {
            for (int i = 0; i < count; i++)
            {
                await queue.IterateAsync(probe);
                queue.CopyHead(head);
                memory.Update(head);
                tail.Sample(queue.Slot(schedule.TailSlot), schedule.Timesteps[schedule.Levels - 2], 999, s_schedule, head);
                queue.Shift();
                head.CopyTo(queue.Slot(schedule.TailSlot));
                queue.MarkEntered(schedule.TailSlot);
            }
        }

        await Frames(20);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        await Frames(500);
        var perFrame = (GC.GetAllocatedBytesForCurrentThread() - allocated) / 500.0;

        Assert.Equal(floats, queue.BufferFloats);
        Assert.Equal(520, memory.Updates);
        Assert.True(perFrame < 64, $"{perFrame:0.0} bytes allocated per frame");
        Assert.All(Enumerable.Range(0, schedule.SlotCount), s => Assert.True(queue.Slot(s).ToArray().All(float.IsFinite)));
    }

    private static FifoQueue NewQueue(FifoSchedule schedule, bool video, long seed)
    {
        var queue = new FifoQueue(schedule, s_frame, ClipProbePredictor.EmbeddingLength, video);
        var noise = new GaussianNoiseGenerator(seed);
        for (int s = 0; s < schedule.SlotCount; s++)
        {
            noise.Fill(queue.Slot(s));
            queue.Embedding(s).Fill(0.01f * s);
            queue.MarkEntered(s);
        }

        return queue;
    }

    private static float[][] Snapshot(FifoQueue queue) =>
        Enumerable.Range(0, queue.Schedule.SlotCount).Select(s => queue.Slot(s).ToArray()).ToArray();

    private static float[] ReferenceStep(FifoSchedule schedule, float[][] before, int slot, FifoQueue queue)
    {
        // The window (with lookahead) whose noisier half holds this slot.
        var half = schedule.Window / 2;
        var start = ((slot - half) / half) * half;
        var neighbour = slot > start ? before[slot - 1] : null;
        return Step(schedule, before[slot], slot, queue.Embedding(start + half).ToArray(), neighbour);
    }

    /// <summary>One DDIM step of a slot with the probe's ε (the slot's own level for the timestep).</summary>
    private static float[] Step(FifoSchedule schedule, float[] x, int slotOrLevel, float[] embedding, float[]? neighbour)
    {
        var level = schedule.LevelOf(slotOrLevel);
        var eps = new float[x.Length];
        ClipProbePredictor.Frame(x, schedule.Timesteps[level], embedding, neighbour, eps);
        var result = new float[x.Length];
        schedule.Ddim(level).Apply(x, eps, result);
        return result;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
        }
    }

    private sealed class ZeroPredictor : INoisePredictor
    {
        public int HiddenSize => ClipProbePredictor.Hidden;

        public ValueTask PredictNoiseAsync(ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise, LatentShape shape, CancellationToken cancellationToken = default)
        {
            noise.Span.Clear();
            return ValueTask.CompletedTask;
        }
    }
}
