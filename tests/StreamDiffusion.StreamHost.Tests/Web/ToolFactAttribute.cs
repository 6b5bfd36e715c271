namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>
/// A fact that is skipped, with a message naming what is missing, when an external tool it drives is not
/// installed (xunit 2 has no dynamic skip). The test command installs the tools, so in CI these run.
/// </summary>
public abstract class ToolFactAttribute : FactAttribute
{
    protected ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => ExternalTools.Find(t) is null).ToList();
        if (missing.Count > 0)
        {
            Skip = $"not installed: {string.Join(", ", missing)} (apt-get install -y ffmpeg chromium nodejs npm, or scripts/ensure-native-deps.sh ffmpeg chromium)";
        }
    }
}
