namespace StreamDiffusion.Soak;

/// <summary>
/// Whether the host reached a steady state: after a warm-up (the first quarter of the run), the median of each
/// resource over the last quarter may not exceed its median over the second quarter by more than a margin
/// (relative and absolute, since small numbers move by small steps), and no session may be left once the clients
/// are gone.
/// </summary>
public sealed record SoakVerdict(bool Steady, IReadOnlyList<string> Findings, double RssSlopeMbPerMinute)
{
    public static SoakVerdict From(IReadOnlyList<HostSample> samples, double sessionsAfterStop)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var findings = new List<string>();
        if (samples.Count < 8)
        {
            return new SoakVerdict(false, ["too few samples to judge (need 8)"], double.NaN);
        }

        var q = samples.Count / 4;
        var early = samples.Skip(q).Take(q).ToArray();
        var late = samples.Skip(3 * q).ToArray();
        var steady = true;
        steady &= Check("RSS (MB)", s => s.RssMb, 0.10, 48);
        steady &= Check("managed heap (MB)", s => s.ManagedHeapMb, 0.25, 32);
        steady &= Check("threads", s => s.Threads, 0.20, 6);
        steady &= Check("handles", s => s.Handles, 0.20, 24);
        if (sessionsAfterStop > 0)
        {
            steady = false;
            findings.Add($"{sessionsAfterStop} sessions still active after every client left");
        }
        else
        {
            findings.Add("sessions: 0 active after every client left");
        }

        // Least-squares slope of RSS over the second half, for the report.
        var half = samples.Skip(samples.Count / 2).ToArray();
        var mx = half.Average(s => s.Seconds);
        var my = half.Average(s => s.RssMb);
        var sxx = half.Sum(s => (s.Seconds - mx) * (s.Seconds - mx));
        var slope = sxx == 0 ? 0 : half.Sum(s => (s.Seconds - mx) * (s.RssMb - my)) / sxx * 60;
        return new SoakVerdict(steady, findings, Math.Round(slope, 2));

        bool Check(string name, Func<HostSample, double> value, double relative, double absolute)
        {
            var before = Median(early.Select(value));
            var after = Median(late.Select(value));
            var allowed = before + Math.Max(before * relative, absolute);
            var ok = after <= allowed;
            findings.Add($"{name}: median {before:0.#} -> {after:0.#} (allowed up to {allowed:0.#}){(ok ? string.Empty : "  GROWING")}");
            return ok;
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
