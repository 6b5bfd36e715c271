namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>A fact that needs node and Chromium (CHROMIUM_PATH or chromium on PATH).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : ToolFactAttribute
{
    public BrowserFactAttribute()
        : base("node", "chromium")
    {
    }
}
