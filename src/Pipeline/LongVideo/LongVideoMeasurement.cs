namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>What <see cref="LongVideoBenchmark"/> measured for one contender on one pack.</summary>
public sealed record LongVideoMeasurement
{
    /// <summary>Pack kind ("video" or "image").</summary>
    public required string Pack { get; init; }

    /// <summary>Contender name.</summary>
    public required string Contender { get; init; }

    /// <summary>Frames measured.</summary>
    public int Frames { get; init; }

    /// <summary>Mean cosine similarity of consecutive clean latents.</summary>
    public double LatentSimilarity { get; init; }

    /// <summary>Mean cosine similarity of consecutive decoded images (in [−1, 1], mean-centred).</summary>
    public double ImageSimilarity { get; init; }

    /// <summary>Flicker: mean absolute difference of consecutive images on the 0..255 scale (as VBench's temporal flickering).</summary>
    public double Flicker { get; init; }

    /// <summary>Drift: image similarity of the last frame to frame 0.</summary>
    public double DriftLast { get; init; }

    /// <summary>Output frames per second (steady state, after the first frame).</summary>
    public double FramesPerSecond { get; init; }

    /// <summary>Denoiser items per output frame.</summary>
    public double ItemsPerFrame { get; init; }

    /// <summary>Time to first frame, milliseconds (start-up included).</summary>
    public double TimeToFirstFrameMs { get; init; }

    /// <summary>Image similarity of frame k to frame k − 1, per frame (index 0 is 1).</summary>
    public required double[] SimilaritySeries { get; init; }

    /// <summary>Flicker of frame k against frame k − 1, per frame (index 0 is 0).</summary>
    public required double[] FlickerSeries { get; init; }

    /// <summary>Image similarity of frame k to frame 0.</summary>
    public required double[] DriftSeries { get; init; }
}
