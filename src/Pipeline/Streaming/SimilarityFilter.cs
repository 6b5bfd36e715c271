using System.Numerics;
using System.Runtime.InteropServices;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// Stochastic similarity filter (DESIGN.md section 4), one per stream: decides per preprocessed input
/// frame whether the pipeline may skip it and resend the previous output. S = cos(reference, frame) over
/// the flattened frame (norms clamped at 1e−6); the skip probability is max(0, 1 − (1 − S)/(1 − threshold));
/// after <see cref="SimilarityFilterSettings.MaxSkipFrames"/> consecutive skips the frame is processed anyway.
/// A processed frame becomes the new reference; a skipped one does not, so slow drift still triggers work.
/// Draws come from a seeded generator, so a replayed input gives the same decisions. Not thread-safe.
/// </summary>
public sealed class SimilarityFilter
{
    private const float NormEpsilon = 1e-6f;

    private readonly GaussianNoiseGenerator _random;
    private SimilarityFilterSettings _pending;
    private float[] _reference = [];
    private bool _hasReference;
    private int _consecutiveSkips;
    private long _processed;
    private long _skipped;

    /// <summary>Creates a filter with its own seeded random draws.</summary>
    public SimilarityFilter(long seed, SimilarityFilterSettings? settings = null)
    {
        settings ??= new SimilarityFilterSettings();
        settings.Validate();
        _pending = settings;
        _random = new GaussianNoiseGenerator(seed, 0x51F1L);
    }

    /// <summary>The settings; assigning validates and applies from the next frame.</summary>
    public SimilarityFilterSettings Settings
    {
        get => Volatile.Read(ref _pending);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            Volatile.Write(ref _pending, value);
        }
    }

    /// <summary>Frames the caller should process (including the first and forced ones).</summary>
    public long ProcessedFrames => _processed;

    /// <summary>Frames skipped (the caller resent the previous output, with no VAE or UNet call).</summary>
    public long SkippedFrames => _skipped;

    /// <summary>Current run of consecutive skips.</summary>
    public int ConsecutiveSkips => _consecutiveSkips;

    /// <summary>Cosine similarity computed for the last frame (NaN when there was no reference).</summary>
    public double LastSimilarity { get; private set; } = double.NaN;

    /// <summary>Skip probability computed for the last frame.</summary>
    public double LastSkipProbability { get; private set; }

    /// <summary>
    /// Decides for one preprocessed frame (e.g. the resized image tensor). True: skip it and reuse the
    /// previous output. False: process it; it has become the reference. A frame whose length differs from
    /// the reference (size change) is always processed.
    /// </summary>
    public bool ShouldSkip(ReadOnlySpan<float> frame)
    {
        SimilarityFilterSettings settings = Volatile.Read(ref _pending);
        if (!settings.Enabled)
        {
            // Forget the reference so that re-enabling never compares against a stale frame.
            _hasReference = false;
            _consecutiveSkips = 0;
            LastSimilarity = double.NaN;
            LastSkipProbability = 0;
            _processed++;
            return false;
        }

        if (!_hasReference || _reference.Length != frame.Length)
        {
            LastSimilarity = double.NaN;
            LastSkipProbability = 0;
            Accept(frame);
            return false;
        }

        double similarity = CosineSimilarity(_reference, frame);
        double probability = settings.Threshold >= 1 ? 0 : Math.Max(0, 1 - ((1 - similarity) / (1 - settings.Threshold)));
        LastSimilarity = similarity;
        LastSkipProbability = probability;

        // Draw on every comparison so the random sequence does not depend on the outcome.
        double draw = _random.NextUniform();
        if (draw < probability && _consecutiveSkips < settings.MaxSkipFrames)
        {
            _consecutiveSkips++;
            _skipped++;
            return true;
        }

        Accept(frame);
        return false;
    }

    /// <summary>Forgets the reference frame (the next frame is processed); counters are kept.</summary>
    public void Reset()
    {
        _hasReference = false;
        _consecutiveSkips = 0;
    }

    /// <summary>cos(a, b) = a·b / (max(‖a‖, 1e−6)·max(‖b‖, 1e−6)), accumulated in double.</summary>
    public static double CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("Frames differ in length.", nameof(b));
        }

        // Sums in double: over a 512x512x3 frame, float sums move S by ~1e-6, which the threshold's
        // 1/(1 − 0.999) scale turns into ~5e-3 of skip probability.
        (double dot, double squaresA, double squaresB) = DotAndSquares(a, b);
        double normA = Math.Max(Math.Sqrt(squaresA), NormEpsilon);
        double normB = Math.Max(Math.Sqrt(squaresB), NormEpsilon);
        return dot / (normA * normB);
    }

    private static (double Dot, double SquaresA, double SquaresB) DotAndSquares(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var dot = Vector<double>.Zero;
        var squaresA = Vector<double>.Zero;
        var squaresB = Vector<double>.Zero;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(a);
            ReadOnlySpan<Vector<float>> vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (int v = 0; v < va.Length && v < vb.Length; v++)
            {
                Vector.Widen(va[v], out Vector<double> aLow, out Vector<double> aHigh);
                Vector.Widen(vb[v], out Vector<double> bLow, out Vector<double> bHigh);
                dot += (aLow * bLow) + (aHigh * bHigh);
                squaresA += (aLow * aLow) + (aHigh * aHigh);
                squaresB += (bLow * bLow) + (bHigh * bHigh);
            }

            i = Math.Min(va.Length, vb.Length) * Vector<float>.Count;
        }

        double d = Vector.Sum(dot);
        double sa = Vector.Sum(squaresA);
        double sb = Vector.Sum(squaresB);
        for (; i < a.Length; i++)
        {
            d += (double)a[i] * b[i];
            sa += (double)a[i] * a[i];
            sb += (double)b[i] * b[i];
        }

        return (d, sa, sb);
    }

    private void Accept(ReadOnlySpan<float> frame)
    {
        if (_reference.Length != frame.Length)
        {
            _reference = new float[frame.Length];
        }

        frame.CopyTo(_reference);
        _hasReference = true;
        _consecutiveSkips = 0;
        _processed++;
    }
}
