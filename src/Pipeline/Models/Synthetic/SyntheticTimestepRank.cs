namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>Rank of the image UNet's <c>timestep</c> input. Video denoisers always take [batch, frames].</summary>
public enum SyntheticTimestepRank
{
    /// <summary>One timestep per batch item, shape [steps] (optimum's export).</summary>
    Batch,

    /// <summary>A single 0-d timestep shared by the batch (older exports).</summary>
    Scalar,
}
