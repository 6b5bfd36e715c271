using System.Globalization;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>The <c>timestep_cond</c> setting of LCM-distilled UNets: "reference" (zeros), "diffusers" (8.5) or a guidance value.</summary>
public static class TimestepCond
{
    /// <summary>Guidance scale diffusers' LCM pipelines embed by default (w = 7.5).</summary>
    public const float DiffusersGuidance = 8.5f;

    /// <summary>Parses "reference" (null: zeros), "diffusers" (8.5) or a number (the guidance scale g; w = g − 1).</summary>
    /// <exception cref="FormatException">Neither word nor a finite number.</exception>
    public static float? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("reference", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (trimmed.Equals("diffusers", StringComparison.OrdinalIgnoreCase))
        {
            return DiffusersGuidance;
        }

        if (float.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
        {
            return value;
        }

        throw new FormatException($"timestep_cond must be 'reference', 'diffusers' or a number, got '{text}'");
    }

    /// <summary>Readable form for <c>models inspect</c>.</summary>
    public static string Describe(float? guidance) =>
        guidance is { } g ? string.Create(CultureInfo.InvariantCulture, $"guidance embedding of w = {g - 1:0.###}") : "zeros (reference)";
}
