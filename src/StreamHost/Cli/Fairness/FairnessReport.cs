namespace StreamDiffusion.StreamHost.Cli.Fairness;

/// <summary>One stream's answers inside a phase's measured window.</summary>
/// <param name="Role">"paced" or "greedy".</param>
/// <param name="OfferedFps">Frames per second the stream sent (0 for a greedy stream: as fast as answered).</param>
/// <param name="Fps">Frames per second answered with an image.</param>
/// <param name="Processed">Frames answered with an image.</param>
/// <param name="Dropped">Frames answered dropped.</param>
/// <param name="Failed">Frames answered with an error.</param>
/// <param name="LatencyMsMean">Mean time from sending a frame to its image coming back.</param>
public sealed record FairnessStream(string Role, double OfferedFps, double Fps, long Processed, long Dropped, long Failed, double LatencyMsMean);

/// <summary>One phase: its streams, side by side for the same window.</summary>
public sealed record FairnessPhase(string Name, double WindowSeconds, IReadOnlyList<FairnessStream> Streams);

/// <summary>The machine the measurement ran on, and how busy it was.</summary>
/// <param name="Cores">Logical processors.</param>
/// <param name="Cpu">CPU model from /proc/cpuinfo (empty elsewhere).</param>
/// <param name="Os">Operating system description.</param>
/// <param name="LoadAverageBefore">1-minute load average before the run (-1 where /proc/loadavg is missing).</param>
/// <param name="LoadAverageAfter">1-minute load average after the run.</param>
public sealed record FairnessMachine(int Cores, string Cpu, string Os, double LoadAverageBefore, double LoadAverageAfter);

/// <summary>
/// The fairness measurement: paced streams alone, then beside greedy streams, and each paced stream's fps in the
/// second phase over its fps in the first. The goal is every ratio at least <see cref="Goal"/>.
/// </summary>
public sealed record FairnessReport(
    string Command,
    FairnessMachine Machine,
    string Model,
    int Size,
    double PacedFps,
    double? CalibratedCapacityFps,
    FairnessPhase Alone,
    FairnessPhase WithGreedy,
    IReadOnlyList<double> PacedFpsRatios)
{
    /// <summary>Lowest acceptable paced fps beside the greedy streams, as a share of their fps alone.</summary>
    public const double Goal = 0.9;

    /// <summary>The lowest paced stream's ratio.</summary>
    public double MinPacedFpsRatio => PacedFpsRatios.Count == 0 ? 0 : PacedFpsRatios.Min();

    /// <summary>Whether every paced stream kept at least <see cref="Goal"/> of its fps.</summary>
    public bool Fair => MinPacedFpsRatio >= Goal;
}
