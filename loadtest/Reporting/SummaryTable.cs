using System.Globalization;
using Spectre.Console;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>The readable summary: one row per replica (and the total) of a run, or one row per step of a ramp.</summary>
public static class SummaryTable
{
    /// <summary>A run's table.</summary>
    public static Table ForRun(RunReport run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var table = new Table().AddColumns("replica", "sessions", "sent", "out", "fps out", "dropped", "skipped", "failed",
            "p50 ms", "p95 ms", "p99 ms", "max ms", "start p50 ms");
        IEnumerable<ReplicaReport> rows = run.Replicas.Count > 1 ? [.. run.Replicas, run.Total] : [run.Total];

        // With both transports in the run, each also gets its own row (named by transport, after the replicas).
        if (run.Transports.Count > 1)
        {
            rows = [.. rows, .. run.Transports.Select(t => t with { Replica = "via " + t.Replica })];
        }

        foreach (var r in rows)
        {
            table.AddRow(Markup.Escape(r.Replica), N(r.Sessions), N(r.Sent), N(r.Out), F(r.FpsOut), N(r.Dropped), N(r.Skipped), N(r.Failed),
                F(r.Latency.P50Ms), F(r.Latency.P95Ms), F(r.Latency.P99Ms), F(r.Latency.MaxMs), F(r.TimeToSessionStarted.P50Ms));
        }

        var errors = run.Errors.Count == 0 ? "none" : string.Join(", ", run.Errors.Select(e => $"{e.Key} {N(e.Value)}"));
        table.Caption(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{run.Streams} streams{WebSockets(run)} at {run.TargetFps:0.##} fps for {run.Seconds:0.#} s: fps in {run.FpsIn:0.#}, unsent {run.Unsent}, lost {run.Lost}; call errors: {errors}")));
        return table;
    }

    /// <summary>The text-to-video calls' table.</summary>
    public static Table ForVideo(VideoReport video)
    {
        ArgumentNullException.ThrowIfNull(video);
        var table = new Table().AddColumns("video calls", "started", "frames", "fps out", "first frame p50 ms", "first frame max ms",
            "frame gap p50 ms", "frame gap p95 ms", "frame gap max ms");
        table.AddRow(N(video.Streams), N(video.Started), N(video.Frames), F(video.FpsOut), F(video.TimeToFirstFrame.P50Ms),
            F(video.TimeToFirstFrame.MaxMs), F(video.FrameInterval.P50Ms), F(video.FrameInterval.P95Ms), F(video.FrameInterval.MaxMs));
        var ends = video.Calls.GroupBy(c => c.Status, StringComparer.Ordinal).Select(g => $"{g.Key} {N(g.LongCount())}");
        table.Caption(Markup.Escape("GenerateVideo calls ended: " + string.Join(", ", ends)));
        return table;
    }

    /// <summary>A ramp's table.</summary>
    public static Table ForRamp(RampReport ramp)
    {
        ArgumentNullException.ThrowIfNull(ramp);
        var table = new Table().AddColumns("streams", "fps in", "fps out", "dropped", "p50 ms", "p95 ms", "p99 ms", "refused", "errors", "within target");
        foreach (var s in ramp.Steps)
        {
            table.AddRow(N(s.Streams), F(s.FpsIn), F(s.Total.FpsOut), N(s.Total.Dropped), F(s.Total.Latency.P50Ms), F(s.Total.Latency.P95Ms),
                F(s.Total.Latency.P99Ms), N(s.Refused), N(s.ErrorCount), RampReport.Meets(s, ramp.LatencyTargetMs) ? "yes" : "no");
        }

        var refused = ramp.RefusedAt is { } r ? N(r) + " streams" : "not reached";
        table.Caption(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"capacity: {ramp.Capacity} streams (p95 <= {ramp.LatencyTargetMs:0.#} ms, no errors); host refuses from: {refused}")));
        return table;
    }

    private static string WebSockets(RunReport run) =>
        run.StreamResults.Count(r => r.Transport == Running.WebSocketWorker.TransportName) is var n and > 0 ? $" + {n} WebSocket" : string.Empty;

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value) => double.IsFinite(value) ? value.ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
