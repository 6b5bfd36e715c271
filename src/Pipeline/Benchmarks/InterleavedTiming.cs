using System.Diagnostics;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// Times of several contenders that took turns over the same rounds of frames. Ratios are the median
/// over rounds of the per-round throughput ratio: a burst of load from another process that lands on
/// one contender's turn spoils one round, not the result.
/// </summary>
internal sealed class InterleavedTiming
{
    private readonly List<long[]> _rounds = [];
    private readonly int _contenders;
    private int _frames;

    public InterleavedTiming(int contenders)
    {
        _contenders = contenders;
    }

    /// <summary>Rounds recorded.</summary>
    public int Rounds => _rounds.Count;

    /// <summary>Records one round: the Stopwatch ticks each contender took for <paramref name="roundFrames"/> frames.</summary>
    public void Add(long[] ticks, int roundFrames)
    {
        if (ticks.Length != _contenders)
        {
            throw new ArgumentException($"expected {_contenders} timings, got {ticks.Length}", nameof(ticks));
        }

        _rounds.Add(ticks);
        _frames += roundFrames;
    }

    /// <summary>Frames per second of a contender over all rounds.</summary>
    public double FramesPerSecond(int contender)
    {
        var ticks = _rounds.Sum(r => r[contender]);
        return _frames / Math.Max((double)ticks / Stopwatch.Frequency, 1e-9);
    }

    /// <summary>Median over rounds of throughput(<paramref name="a"/>) / throughput(<paramref name="b"/>).</summary>
    public double Ratio(int a, int b)
    {
        // Each round gave both contenders the same frames, so the throughput ratio is the inverse time ratio.
        var ratios = _rounds.Select(r => (double)Math.Max(r[b], 1) / Math.Max(r[a], 1)).Order().ToArray();
        if (ratios.Length == 0)
        {
            return double.NaN;
        }

        var middle = ratios.Length / 2;
        return ratios.Length % 2 == 1 ? ratios[middle] : (ratios[middle - 1] + ratios[middle]) / 2;
    }
}
