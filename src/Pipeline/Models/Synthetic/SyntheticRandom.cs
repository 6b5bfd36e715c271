namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// Deterministic Gaussian source for synthetic weights. Each component (text encoder, palette, ...) draws
/// from its own stream keyed by (seed, name), so adding an option never changes the other components' weights:
/// an image pack and a video pack with the same seed share the same palette and colour map.
/// </summary>
internal sealed class SyntheticRandom
{
    private readonly Random _random;
    private double? _spare;

    public SyntheticRandom(int seed, string component)
    {
        // FNV-1a over the component name: stable across processes, unlike string.GetHashCode.
        uint hash = 2166136261;
        foreach (var ch in component)
        {
            hash = (hash ^ ch) * 16777619;
        }

        // new Random(int) uses the legacy seeded algorithm, which .NET keeps stable across versions.
        _random = new Random(unchecked(seed * 486187739 + (int)hash));
    }

    /// <summary>Standard normal sample (Box–Muller).</summary>
    public double NextGaussian()
    {
        if (_spare is double spare)
        {
            _spare = null;
            return spare;
        }

        double u1 = 1.0 - _random.NextDouble();
        double u2 = _random.NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>An array of N(0, std²) values.</summary>
    public float[] Gaussian(int count, double std)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(NextGaussian() * std);
        }

        return values;
    }
}
