using System.Numerics.Tensors;

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

    /// <summary>cos(a, b) = a·b / (max(‖a‖, 1e−6)·max(‖b‖, 1e−6)).</summary>
    public static double CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("Frames differ in length.", nameof(b));
        }

        double dot = TensorPrimitives.Dot(a, b);
        double normA = Math.Max(TensorPrimitives.Norm(a), NormEpsilon);
        double normB = Math.Max(TensorPrimitives.Norm(b), NormEpsilon);
        return dot / (normA * normB);
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
