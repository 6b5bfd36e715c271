namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>A ramp: one run per stream count, and the capacity read from them.</summary>
/// <param name="LatencyTargetMs">p95 latency a step must stay within to count.</param>
/// <param name="Steps">Each step's run.</param>
/// <param name="Capacity">Highest stream count whose p95 stayed within the target with no error and nothing lost (0: none did).</param>
/// <param name="RefusedAt">Lowest stream count at which a host refused a session (null: none refused).</param>
public sealed record RampReport(double LatencyTargetMs, IReadOnlyList<RunReport> Steps, int Capacity, int? RefusedAt)
{
    /// <summary>Whether a step meets the capacity rule: every stream served, p95 within target, no error, no frame failed or lost.</summary>
    public static bool Meets(RunReport step, double latencyTargetMs)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step.ErrorCount == 0 && step.Lost == 0 && step.Total.Failed == 0 && step.Total.Out > 0
            && step.Total.Sessions >= step.Streams && step.Total.Latency.P95Ms <= latencyTargetMs;
    }

    /// <summary>Builds the report from the steps in order.</summary>
    public static RampReport From(IReadOnlyList<RunReport> steps, double latencyTargetMs)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var capacity = steps.Where(s => Meets(s, latencyTargetMs)).Select(s => s.Streams).DefaultIfEmpty(0).Max();
        var refused = steps.FirstOrDefault(s => s.Refused > 0)?.Streams;
        return new RampReport(latencyTargetMs, steps, capacity, refused);
    }
}
