namespace StreamDiffusion.Soak;

/// <summary>soak.png: memory in MB on the left axis; threads, handles and sessions on the right, over time.</summary>
public static class SoakPlot
{
    public static void Write(IReadOnlyList<HostSample> samples, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var plot = new ScottPlot.Plot();
        double[] xs = [.. samples.Select(s => s.Seconds / 60)];
        Add(plot, xs, [.. samples.Select(s => s.RssMb)], "RSS (MB)", right: false);
        Add(plot, xs, [.. samples.Select(s => s.ManagedHeapMb)], "managed heap (MB)", right: false);
        Add(plot, xs, [.. samples.Select(s => s.Threads)], "threads", right: true);
        Add(plot, xs, [.. samples.Select(s => s.Handles)], "handles", right: true);
        Add(plot, xs, [.. samples.Select(s => s.SessionsActive)], "sessions", right: true);
        plot.Title(title);
        plot.XLabel("minutes");
        plot.Axes.Left.Label.Text = "MB";
        plot.Axes.Right.Label.Text = "count";
        plot.ShowLegend();
        plot.SavePng(path, 1000, 500);
    }

    private static void Add(ScottPlot.Plot plot, double[] xs, double[] ys, string label, bool right)
    {
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = label;
        line.MarkerSize = 0;
        if (right)
        {
            line.Axes.YAxis = plot.Axes.Right;
        }
    }
}
