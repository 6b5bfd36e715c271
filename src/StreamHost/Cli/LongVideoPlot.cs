using StreamDiffusion.Pipeline.LongVideo;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>The <c>bench longvideo</c> plots (two PNGs): frame-to-frame similarity and flicker over frame index, one line per contender and pack.</summary>
internal static class LongVideoPlot
{
    public static void Write(string path, IReadOnlyList<LongVideoMeasurement> results)
    {
        var similarity = new ScottPlot.Plot();
        var flicker = new ScottPlot.Plot();
        foreach (var r in results)
        {
            var label = $"{r.Pack}: {r.Contender}";
            var s = similarity.Add.Signal(Smooth(r.SimilaritySeries.Skip(1).ToArray()));
            s.LegendText = label;
            s.LineStyle.Pattern = r.Pack == "video" ? ScottPlot.LinePattern.Solid : ScottPlot.LinePattern.Dashed;
            var f = flicker.Add.Signal(Smooth(r.FlickerSeries.Skip(1).ToArray()));
            f.LegendText = label;
            f.LineStyle.Pattern = s.LineStyle.Pattern;
            f.Color = s.Color;
        }

        similarity.Title("Frame-to-frame image similarity (moving average of 8)");
        similarity.XLabel("frame");
        similarity.ShowLegend(ScottPlot.Alignment.LowerRight);
        flicker.Title("Flicker: mean |frame k - frame k-1| (0..255, moving average of 8)");
        flicker.XLabel("frame");
        flicker.ShowLegend(ScottPlot.Alignment.UpperRight);
        similarity.SavePng(path, 1000, 500);
        flicker.SavePng(FlickerPath(path), 1000, 500);
    }

    /// <summary>The flicker plot's file next to the similarity plot: NAME-flicker.png.</summary>
    public static string FlickerPath(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path) + "-flicker.png");

    private static double[] Smooth(double[] values)
    {
        var smoothed = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var from = Math.Max(0, i - 7);
            smoothed[i] = values.AsSpan(from, i - from + 1).ToArray().Average();
        }

        return smoothed;
    }
}
