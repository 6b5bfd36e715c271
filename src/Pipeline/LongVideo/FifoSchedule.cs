using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// The diagonal noise layout of a FIFO-Diffusion queue. L = f·n denoising slots carry DDIM timesteps spread
/// over [0, 999] in L steps, the head (slot <see cref="HeadSlot"/>) cleanest and the tail pure noise; with
/// lookahead f/2 context slots precede the head and hold the frames emitted last, so every slot has a
/// full window around it. Each iteration every denoising slot at level ts[i] steps to ts[i − 1] (the head
/// to the clean latent), then the head leaves and a new tail enters. Immutable.
/// </summary>
public sealed class FifoSchedule
{
    /// <summary>Largest queue: strictly increasing integer timesteps over [0, 999] allow at most 1000 levels.</summary>
    public const int MaxLevels = 1000;

    private readonly int[] _timesteps;
    private readonly DdimCoefficients[] _ddim;
    private readonly LcmStepCoefficients[] _lcm;
    private readonly FifoWindow[] _windows;

    /// <summary>Builds the layout for window f, n partitions and optional lookahead over <paramref name="schedule"/>.</summary>
    public FifoSchedule(NoiseSchedule schedule, int window, int partitions, bool lookahead, LcmScheduler? lcm = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (lookahead && window % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "lookahead needs an even window (its windows overlap by half)");
        }

        if ((long)window * partitions > Math.Min(MaxLevels, schedule.Length))
        {
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, $"window {window} x {partitions} partitions exceeds {Math.Min(MaxLevels, schedule.Length)} noise levels");
        }

        Schedule = schedule;
        Window = window;
        Partitions = partitions;
        Lookahead = lookahead;
        Levels = window * partitions;
        HeadSlot = lookahead ? window / 2 : 0;
        SlotCount = Levels + HeadSlot;

        // Ascending: level 0 (the head) is the cleanest.
        _timesteps = DdimCoefficients.SpreadTimesteps(Levels, schedule.Length);
        Array.Reverse(_timesteps);
        _ddim = new DdimCoefficients[Levels];
        _lcm = new LcmStepCoefficients[Levels];
        lcm ??= new LcmScheduler(schedule);
        for (int i = 0; i < Levels; i++)
        {
            _ddim[i] = DdimCoefficients.Create(schedule, _timesteps[i], i == 0 ? -1 : _timesteps[i - 1]);
            _lcm[i] = lcm.Coefficients(_timesteps[i]);
        }

        var half = window / 2;
        _windows = new FifoWindow[lookahead ? 2 * partitions : partitions];
        for (int w = 0; w < _windows.Length; w++)
        {
            _windows[w] = lookahead
                ? new FifoWindow(w * half, (w * half) + half, (w * half) + window)
                : new FifoWindow(w * window, w * window, (w + 1) * window);
        }
    }

    /// <summary>The training noise schedule.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>Frames per denoiser window f.</summary>
    public int Window { get; }

    /// <summary>Partitions n.</summary>
    public int Partitions { get; }

    /// <summary>Half-overlapping lookahead windows (2n of them, each writing its noisier half).</summary>
    public bool Lookahead { get; }

    /// <summary>Denoising levels L = f·n.</summary>
    public int Levels { get; }

    /// <summary>Slot of the head (level 0): f/2 with lookahead (the context slots come first), else 0.</summary>
    public int HeadSlot { get; }

    /// <summary>Slots in the queue: L, plus f/2 context slots with lookahead.</summary>
    public int SlotCount { get; }

    /// <summary>Slot of the tail (level L − 1).</summary>
    public int TailSlot => SlotCount - 1;

    /// <summary>Timesteps by level, ascending: level 0 (head) cleanest, level L − 1 (tail) = 999.</summary>
    public ReadOnlySpan<int> Timesteps => _timesteps;

    /// <summary>The windows one iteration evaluates (head first).</summary>
    public ReadOnlySpan<FifoWindow> Windows => _windows;

    /// <summary>Denoiser items per iteration: f per window.</summary>
    public int ItemsPerIteration => _windows.Length * Window;

    /// <summary>Level of a slot: context slots count as level 0 (clean frames, labelled with the head's timestep as the reference does).</summary>
    public int LevelOf(int slot) => Math.Max(0, slot - HeadSlot);

    /// <summary>Timestep the denoiser sees for <paramref name="slot"/>.</summary>
    public int TimestepOfSlot(int slot) => _timesteps[LevelOf(slot)];

    /// <summary>DDIM step of a level to the next cleaner one (level 0: to x₀).</summary>
    public DdimCoefficients Ddim(int level) => _ddim[level];

    /// <summary>LCM consistency coefficients at a level.</summary>
    public LcmStepCoefficients Lcm(int level) => _lcm[level];
}
