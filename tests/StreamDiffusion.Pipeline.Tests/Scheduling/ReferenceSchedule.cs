namespace StreamDiffusion.Pipeline.Tests.Scheduling;

/// <summary>
/// Independent double-precision reference for the SD schedule and LCM coefficients, written straight
/// from the formulas in DESIGN.md section 4 (not from the production code).
/// </summary>
internal static class ReferenceSchedule
{
    public static double AlphaBar(int t)
    {
        double product = 1.0;
        double a = Math.Sqrt(0.00085);
        double b = Math.Sqrt(0.012);
        for (int i = 0; i <= t; i++)
        {
            double root = a + (i / 999.0 * (b - a));
            product *= 1.0 - (root * root);
        }

        return product;
    }

    public static int Timestep(int index) => 999 - (20 * index);

    public static (double Alpha, double Sigma, double CSkip, double COut) Lcm(int t)
    {
        double alphaBar = AlphaBar(t);
        double s = 10.0 * t;
        return (Math.Sqrt(alphaBar), Math.Sqrt(1 - alphaBar), 0.25 / ((s * s) + 0.25), s / Math.Sqrt((s * s) + 0.25));
    }
}
