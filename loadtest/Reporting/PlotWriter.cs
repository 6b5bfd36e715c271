using StreamDiffusion.LoadTest.Running;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>PNG plots (ScottPlot): latency percentiles and fps over time, per replica when there are several, and a ramp's curve.</summary>
public static class PlotWriter
{
    private const int Width = 900;
    private const int Height = 480;

    /// <summary>latency.png and fps.png of a run; returns their paths.</summary>
    public static IReadOnlyList<string> WriteRun(RunReport run, string folder)
    {
        ArgumentNullException.ThrowIfNull(run);
        var perReplica = run.Replicas.Count > 1;
        var title = $"{run.Streams} streams at {run.TargetFps:0.##} fps";

        var latency = new ScottPlot.Plot();
        var all = Series(run.Samples, LoadRecorder.AllReplicas);
        AddLine(latency, all, s => s.P50Ms, "p50 (all)");
        AddLine(latency, all, s => s.P95Ms, "p95 (all)");
        AddLine(latency, all, s => s.P99Ms, "p99 (all)");
        if (perReplica)
        {
            foreach (var replica in run.Replicas)
            {
                AddLine(latency, Series(run.Samples, replica.Replica), s => s.P95Ms, $"p95 {replica.Replica}");
            }
        }

        latency.Title($"End-to-end frame latency, {title}");
        latency.XLabel("seconds");
        latency.YLabel("ms");
        latency.ShowLegend();
        var latencyPath = Path.Combine(folder, "latency.png");
        latency.SavePng(latencyPath, Width, Height);

        var fps = new ScottPlot.Plot();
        AddLine(fps, all, s => s.FpsIn, "fps in (all)");
        AddLine(fps, all, s => s.FpsOut, "fps out (all)");
        if (perReplica)
        {
            foreach (var replica in run.Replicas)
            {
                AddLine(fps, Series(run.Samples, replica.Replica), s => s.FpsOut, $"fps out {replica.Replica}");
            }
        }

        fps.Title($"Frames per second, {title}");
        fps.XLabel("seconds");
        fps.YLabel("frames/s");
        fps.ShowLegend();
        var fpsPath = Path.Combine(folder, "fps.png");
        fps.SavePng(fpsPath, Width, Height);
        return [latencyPath, fpsPath];
    }

    /// <summary>ramp.png: p50/p95/p99 and fps out against the stream count; returns its path.</summary>
    public static string WriteRamp(RampReport ramp, string folder)
    {
        ArgumentNullException.ThrowIfNull(ramp);
        var plot = new ScottPlot.Plot();
        double[] streams = [.. ramp.Steps.Select(s => (double)s.Streams)];
        Line(plot, streams, [.. ramp.Steps.Select(s => s.Total.Latency.P50Ms)], "p50 ms");
        Line(plot, streams, [.. ramp.Steps.Select(s => s.Total.Latency.P95Ms)], "p95 ms");
        Line(plot, streams, [.. ramp.Steps.Select(s => s.Total.Latency.P99Ms)], "p99 ms");
        var target = plot.Add.HorizontalLine(ramp.LatencyTargetMs);
        target.LegendText = "p95 target";
        var fps = Line(plot, streams, [.. ramp.Steps.Select(s => s.Total.FpsOut)], "fps out (right axis)");
        fps.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "frames/s";
        plot.Title($"Ramp: capacity {ramp.Capacity} streams");
        plot.XLabel("concurrent streams");
        plot.YLabel("latency ms");
        plot.ShowLegend();
        var path = Path.Combine(folder, "ramp.png");
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static TimeSample[] Series(IEnumerable<TimeSample> samples, string replica) =>
        [.. samples.Where(s => s.Replica == replica)];

    private static void AddLine(ScottPlot.Plot plot, TimeSample[] series, Func<TimeSample, double> value, string label)
    {
        var points = series.Where(s => double.IsFinite(value(s))).ToArray();
        if (points.Length > 0)
        {
            Line(plot, [.. points.Select(p => p.Seconds)], [.. points.Select(value)], label);
        }
    }

    private static ScottPlot.Plottables.Scatter Line(ScottPlot.Plot plot, double[] xs, double[] ys, string label)
    {
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = label;
        return line;
    }
}
