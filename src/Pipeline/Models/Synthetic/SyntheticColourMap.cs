namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// The linear colour mix shared by the synthetic VAE, TAESD and UNet palette.
/// A pixel colour x ∈ [-1,1]³ maps to the <em>scaled</em> latent z = G·x + c (G = gain·Q, Q 4x3 with
/// orthonormal columns), so scaled latents have roughly unit range like SD's; the VAE encoder outputs
/// z / 0.18215 and the decoder undoes it with the pseudo-inverse G⁺ = Qᵀ/gain. The fourth latent direction
/// (orthogonal to the colours) is ignored by the decoder, as unused latent capacity is in a real VAE.
/// </summary>
internal sealed class SyntheticColourMap
{
    /// <summary>SD 1.x/2.x VAE scaling factor.</summary>
    public const float ScalingFactor = 0.18215f;

    private const double Gain = 2.0;

    private SyntheticColourMap(double[,] q, double[] bias)
    {
        Q = q;
        Bias = bias;
    }

    /// <summary>Q, [4,3], orthonormal columns.</summary>
    public double[,] Q { get; }

    /// <summary>c, [4], the scaled latent of mid-grey.</summary>
    public double[] Bias { get; }

    public static SyntheticColourMap Create(int seed)
    {
        var random = new SyntheticRandom(seed, "colour-map");

        // Start from a luminance/chroma-like mix so channels look like colour planes, then perturb with the seed
        // and orthonormalise the columns (Gram–Schmidt) so that the decoder is an exact left inverse.
        double[,] a =
        {
            { 0.6, 0.3, -0.2 },
            { 0.6, -0.5, 0.1 },
            { 0.5, 0.1, 0.7 },
            { 0.2, 0.6, -0.4 },
        };
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                a[r, c] += 0.2 * random.NextGaussian();
            }
        }

        for (int c = 0; c < 3; c++)
        {
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int r = 0; r < 4; r++)
                {
                    dot += a[r, c] * a[r, p];
                }

                for (int r = 0; r < 4; r++)
                {
                    a[r, c] -= dot * a[r, p];
                }
            }

            double norm = 0;
            for (int r = 0; r < 4; r++)
            {
                norm += a[r, c] * a[r, c];
            }

            norm = Math.Sqrt(norm);
            for (int r = 0; r < 4; r++)
            {
                a[r, c] /= norm;
            }
        }

        var bias = new double[4];
        for (int r = 0; r < 4; r++)
        {
            bias[r] = 0.15 * random.NextGaussian();
        }

        return new SyntheticColourMap(a, bias);
    }

    /// <summary>G[r,c] = gain·Q[r,c]: colour in [-1,1] → scaled latent.</summary>
    public double Forward(int latentChannel, int colourChannel) => Gain * Q[latentChannel, colourChannel];

    /// <summary>G⁺[c,r] = Q[r,c]/gain: scaled latent → colour in [-1,1].</summary>
    public double Inverse(int colourChannel, int latentChannel) => Q[latentChannel, colourChannel] / Gain;

    /// <summary>The scaled latent of a colour x ∈ [-1,1]³.</summary>
    public float[] Encode(ReadOnlySpan<double> colour)
    {
        var z = new float[4];
        for (int r = 0; r < 4; r++)
        {
            double sum = Bias[r];
            for (int c = 0; c < 3; c++)
            {
                sum += Forward(r, c) * colour[c];
            }

            z[r] = (float)sum;
        }

        return z;
    }
}
