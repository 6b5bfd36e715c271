namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>A fact that needs ffmpeg on PATH.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FfmpegFactAttribute : ToolFactAttribute
{
    public FfmpegFactAttribute()
        : base("ffmpeg")
    {
    }
}
