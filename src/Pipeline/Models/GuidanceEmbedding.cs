namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// The sinusoidal guidance-scale embedding that LCM-distilled UNets take as <c>timestep_cond</c>
/// (as in the LCM paper: w scaled by 1000, sin half then cos half, frequencies 10000^(−i/(half−1))).
/// </summary>
public static class GuidanceEmbedding
{
    /// <summary>Embeds guidance value <paramref name="w"/> (already shifted by −1) into <paramref name="dimension"/> floats.</summary>
    public static float[] Create(float w, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 2);
        var result = new float[dimension];
        var half = dimension / 2;
        var scale = half > 1 ? Math.Log(10000.0) / (half - 1) : 0.0;
        var scaled = w * 1000.0;
        for (var i = 0; i < half; i++)
        {
            var angle = scaled * Math.Exp(-scale * i);
            result[i] = (float)Math.Sin(angle);
            result[half + i] = (float)Math.Cos(angle);
        }

        return result;
    }
}
