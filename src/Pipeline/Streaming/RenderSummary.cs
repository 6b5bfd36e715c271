namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>What an offline render did.</summary>
/// <param name="FramesIn">Input frames read.</param>
/// <param name="FramesOut">Output frames written.</param>
/// <param name="Skipped">Frames the similarity filter skipped (previous output reused).</param>
/// <param name="Elapsed">Wall time of the whole render.</param>
/// <param name="OutputPath">File or folder written.</param>
public sealed record RenderSummary(int FramesIn, int FramesOut, long Skipped, TimeSpan Elapsed, string OutputPath)
{
    /// <summary>Output frames per second of wall time.</summary>
    public double Fps => Elapsed.TotalSeconds > 0 ? FramesOut / Elapsed.TotalSeconds : 0;
}
