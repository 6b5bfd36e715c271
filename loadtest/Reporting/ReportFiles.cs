using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>Writes the JSON report and the plots into the output folder.</summary>
public static class ReportFiles
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes report.json, latency.png and fps.png for a run; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(RunReport run, string folder)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "report.json");
        File.WriteAllText(json, JsonSerializer.Serialize(run, s_json));
        return [json, .. PlotWriter.WriteRun(run, folder)];
    }

    /// <summary>Writes ramp.json and ramp.png, plus the plots of the last step; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(RampReport ramp, string folder)
    {
        ArgumentNullException.ThrowIfNull(ramp);
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "ramp.json");
        File.WriteAllText(json, JsonSerializer.Serialize(ramp, s_json));
        return [json, PlotWriter.WriteRamp(ramp, folder)];
    }
}
