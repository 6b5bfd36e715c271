namespace StreamDiffusion.StreamHost.Cli.Fairness;

/// <summary>What <c>bench fairness</c> runs: paced streams alone, then the same paced streams beside greedy ones.</summary>
public sealed record FairnessOptions
{
    /// <summary>Model pack folder; null: the host's embedded default pack.</summary>
    public string? Model { get; init; }

    /// <summary>Engine workers of the model (concurrent model calls); null: the provider's default (4 on the CPU).</summary>
    public int? Workers { get; init; }

    /// <summary>Session size in pixels (square, multiple of 8).</summary>
    public int Size { get; init; } = 512;

    /// <summary>Paced streams (each sends at <see cref="PacedFps"/>).</summary>
    public int PacedStreams { get; init; } = 3;

    /// <summary>Greedy streams in the contended phase: each keeps two frames in flight, as fast as the host answers.</summary>
    public int GreedyStreams { get; init; } = 1;

    /// <summary>
    /// Frames per second each paced stream sends; 0: calibrated, so that the paced streams together offer about half
    /// of what the same number of greedy streams got through in <see cref="Calibration"/>.
    /// </summary>
    public double PacedFps { get; init; }

    /// <summary>Share of the measured capacity the paced streams offer together when calibrating.</summary>
    public double PacedLoad { get; init; } = 0.5;

    /// <summary>How long the calibration phase measures.</summary>
    public TimeSpan Calibration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Untimed start of every phase (first frames, Stream Batch fill, the engines settling).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long each measured phase counts answers.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A small preset that runs in seconds (for tests and a first look); explicit values still apply.</summary>
    public static FairnessOptions Quick { get; } = new()
    {
        Size = 64,
        Calibration = TimeSpan.FromSeconds(2),
        Settle = TimeSpan.FromSeconds(1),
        Window = TimeSpan.FromSeconds(3),
    };
}
