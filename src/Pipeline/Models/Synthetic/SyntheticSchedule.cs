namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>The SD "scaled_linear" training schedule the synthetic UNet embeds as a constant table.</summary>
internal static class SyntheticSchedule
{
    public const int TrainTimesteps = 1000;
    public const double BetaStart = 0.00085;
    public const double BetaEnd = 0.012;

    /// <summary>ᾱ_t for t = 0..999: cumprod(1 − β_i), β_i = (√β_start + i/999·(√β_end − √β_start))².</summary>
    public static float[] AlphasCumprod()
    {
        var table = new float[TrainTimesteps];
        double s0 = Math.Sqrt(BetaStart), s1 = Math.Sqrt(BetaEnd), product = 1;
        for (int i = 0; i < TrainTimesteps; i++)
        {
            double sqrtBeta = s0 + (i / (double)(TrainTimesteps - 1) * (s1 - s0));
            product *= 1 - (sqrtBeta * sqrtBeta);
            table[i] = (float)product;
        }

        return table;
    }
}
