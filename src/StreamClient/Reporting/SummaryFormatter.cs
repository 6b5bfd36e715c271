using System.Globalization;
using StreamDiffusion.StreamClient.Sessions;

namespace StreamDiffusion.StreamClient.Reporting;

/// <summary>The final summary a run prints, as plain lines (stable wording; scripts may grep it).</summary>
public static class SummaryFormatter
{
    /// <summary>Formats <paramref name="summary"/>; <paramref name="output"/> describes where frames went (null: nowhere).</summary>
    public static IReadOnlyList<string> Format(StreamSummary summary, string? output)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var c = CultureInfo.InvariantCulture;
        var s = summary;
        var lines = new List<string>
        {
            string.Create(c, $"session {s.SessionId}: {s.Width}x{s.Height}, {s.Elapsed.TotalSeconds:0.00} s, {s.Fps:0.0} fps received"),
            string.Create(c, $"frames: sent {s.FramesSent}, received {s.FramesReceived}, skipped {s.FramesSkipped}, dropped {s.FramesDropped}, failed {s.FramesFailed}")
                + (s.FramesUnanswered != 0 ? string.Create(c, $", unanswered {s.FramesUnanswered}") : string.Empty),
            string.Create(c, $"latency ms: mean {s.Latency.MeanMs:0.0}, p50 {s.Latency.P50Ms:0.0}, p95 {s.Latency.P95Ms:0.0}, max {s.Latency.MaxMs:0.0} ({s.Latency.Count} frames)"),
        };
        if (s.ControlsSent > 0)
        {
            lines.Add(string.Create(c, $"prompt changes sent: {s.ControlsSent}"));
        }

        if (output is not null)
        {
            lines.Add(string.Create(c, $"output: {output} ({s.FramesWritten} frames)"));
        }

        if (s.FirstError is { } error)
        {
            lines.Add(string.Create(c, $"first frame error: {(Grpc.Core.StatusCode)error.Code} ({error.Code}): {error.Message}"));
        }

        if (s.ServerStats is null)
        {
            lines.Add("server: no final statistics (the stream did not end normally)");
        }
        else if (!s.MatchesServer)
        {
            var t = s.ServerStats;
            lines.Add(string.Create(c,
                $"server counts differ: in {t.FramesIn}, out {t.FramesOut}, skipped {t.FramesSkipped}, dropped {t.FramesDropped}, failed {t.FramesFailed}"));
        }

        return lines;
    }
}
