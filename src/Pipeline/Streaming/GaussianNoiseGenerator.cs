namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// Seeded, platform-independent standard normal noise (xoshiro256** seeded through SplitMix64, Box–Muller
/// in double precision). The same (seed, stream) pair always yields the same sequence, on every machine
/// and .NET version, which is what makes stream seeds reproducible. Not thread-safe.
/// </summary>
public sealed class GaussianNoiseGenerator
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Creates a generator for <paramref name="seed"/>; <paramref name="stream"/> selects an independent sequence (e.g. one per noise block).</summary>
    public GaussianNoiseGenerator(long seed, long stream = 0)
    {
        ulong state = unchecked((ulong)seed ^ ((ulong)stream * 0xD1B54A32D192ED03UL));
        _s0 = SplitMix(ref state);
        _s1 = SplitMix(ref state);
        _s2 = SplitMix(ref state);
        _s3 = SplitMix(ref state);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextUniform() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>One standard normal sample.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        // u1 in (0, 1] keeps the logarithm finite.
        double u1 = 1.0 - NextUniform();
        double u2 = NextUniform();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
        _spare = radius * sin;
        _hasSpare = true;
        return radius * cos;
    }

    /// <summary>Fills <paramref name="destination"/> with standard normal samples.</summary>
    public void Fill(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)NextGaussian();
        }
    }

    private ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
