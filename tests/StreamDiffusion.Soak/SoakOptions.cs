namespace StreamDiffusion.Soak;

/// <summary>What a soak run does and for how long.</summary>
public sealed record SoakOptions
{
    /// <summary>gRPC address of the host.</summary>
    public required Uri Server { get; init; }

    /// <summary>The host's HTTP address (for /metrics).</summary>
    public required Uri Http { get; init; }

    /// <summary>Folder of photos the frames are made from.</summary>
    public required string Images { get; init; }

    /// <summary>Where soak.json and soak.png go.</summary>
    public required string Output { get; init; }

    /// <summary>How long clients keep coming; the run then waits for the host to settle and stops.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Concurrent misbehaving clients (each runs one session after another).</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Frame rate each client sends at.</summary>
    public double Fps { get; init; } = 8;

    /// <summary>Session size in pixels (square).</summary>
    public int Size { get; init; } = 256;

    /// <summary>Interval between host samples.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Seed of the clients' choices, so a run can be repeated.</summary>
    public int Seed { get; init; } = 1;
}
