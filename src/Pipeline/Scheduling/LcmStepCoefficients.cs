namespace StreamDiffusion.Pipeline.Scheduling;

/// <summary>
/// Everything one LCM step at timestep t needs: the schedule values and the boundary-condition
/// coefficients. x̂₀ = c_out·(x_t − σ·ε)/α + c_skip·x_t = <see cref="LatentScale"/>·x_t + <see cref="NoiseScale"/>·ε.
/// </summary>
/// <param name="Timestep">Training timestep t.</param>
/// <param name="Alpha">α_t = √ᾱ_t.</param>
/// <param name="Sigma">σ_t = √(1 − ᾱ_t).</param>
/// <param name="CSkip">c_skip = σ_data² / (s² + σ_data²), s = scaling·t.</param>
/// <param name="COut">c_out = s / √(s² + σ_data²).</param>
public readonly record struct LcmStepCoefficients(int Timestep, double Alpha, double Sigma, double CSkip, double COut)
{
    /// <summary>Coefficient of x_t in x̂₀: c_out/α + c_skip.</summary>
    public double LatentScale => (COut / Alpha) + CSkip;

    /// <summary>Coefficient of ε in x̂₀: −c_out·σ/α.</summary>
    public double NoiseScale => -COut * Sigma / Alpha;
}
