namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// What <see cref="SyntheticPackWriter"/> writes. The defaults give an sd-turbo-like 512x512 pack with
/// the contracts of a current optimum export (int64 ids, [B] float32 timestep, fp32 I/O, mean ‖ logvar VAE output).
/// The other knobs reproduce the variants real exports show, so loaders can be tested against each.
/// </summary>
public sealed record SyntheticPackOptions
{
    /// <summary>Family imitated: text width (1024 or 768), pad token, scheduler config.</summary>
    public SyntheticFamily Family { get; init; } = SyntheticFamily.SdTurbo;

    /// <summary>Image side in pixels the pack is described for (a multiple of 8; latents are ImageSize/8).
    /// The graphs themselves accept any height and width that are multiples of 8.</summary>
    public int ImageSize { get; init; } = 512;

    /// <summary>Also write <c>taesd_encoder/</c> and <c>taesd_decoder/</c> (images in [0,1], no scaling factor).</summary>
    public bool Taesd { get; init; }

    /// <summary>Write a video denoiser: <c>sample</c> [B,4,F,h,w] and <c>timestep</c> [B,F].</summary>
    public bool Video { get; init; }

    /// <summary>Folder holding <c>vocab.json</c> and <c>merges.txt</c> to copy into <c>tokenizer/</c>;
    /// null writes a small built-in byte-level vocabulary (ids agree with CLIP's for single bytes and specials).</summary>
    public string? TokenizerSource { get; init; }

    /// <summary>Seed of every weight in the pack. Same options → byte-identical models.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Element type of <c>input_ids</c>.</summary>
    public SyntheticInputIdsType InputIdsType { get; init; } = SyntheticInputIdsType.Int64;

    /// <summary>Rank of the image UNet's <c>timestep</c> (ignored for video, which is always [B,F]).</summary>
    public SyntheticTimestepRank TimestepRank { get; init; } = SyntheticTimestepRank.Batch;

    /// <summary>Element type of the UNet's <c>timestep</c>.</summary>
    public SyntheticTimestepType TimestepType { get; init; } = SyntheticTimestepType.Float32;

    /// <summary>fp16 inputs/outputs for the UNet (sample, encoder_hidden_states, timestep_cond, out_sample)
    /// and the VAE/TAESD images and latents; the graphs compute in float32 internally.</summary>
    public bool Float16 { get; init; }

    /// <summary>Output of the VAE encoder.</summary>
    public SyntheticVaeEncoderOutput VaeEncoderOutput { get; init; } = SyntheticVaeEncoderOutput.LatentParameters;

    /// <summary>Add the LCM-distilled UNet input <c>timestep_cond</c> [B,256] (it nudges the palette slightly).</summary>
    public bool TimestepCond { get; init; }

    /// <summary>Number of extra 3x3 convolution layers in the UNet, so benchmarks can model a compute-bound denoiser.
    /// Their contribution to the output is small but real (they cannot be pruned as dead code).</summary>
    public int ComputeLayers { get; init; }

    /// <summary>Channel width of the extra convolution layers.</summary>
    public int ComputeChannels { get; init; } = 64;

    /// <summary>Text embedding width D for <see cref="Family"/>.</summary>
    public int HiddenSize => Family == SyntheticFamily.Sd15 ? 768 : 1024;

    /// <summary>Tokenizer pad token for <see cref="Family"/>.</summary>
    public string PadToken => Family == SyntheticFamily.Sd15 ? "<|endoftext|>" : "!";

    /// <summary>Pad token id for <see cref="Family"/> (CLIP ids).</summary>
    public int PadTokenId => Family == SyntheticFamily.Sd15 ? 49407 : 0;

    /// <summary>Latent side, <see cref="ImageSize"/>/8.</summary>
    public int LatentSize => ImageSize / 8;

    /// <summary>Throws <see cref="ArgumentException"/> for options that cannot make a pack.</summary>
    public void Validate()
    {
        if (ImageSize < 8 || ImageSize % 8 != 0)
        {
            throw new ArgumentException($"ImageSize must be a positive multiple of 8, got {ImageSize}.");
        }

        if (ComputeLayers < 0 || ComputeLayers > 256)
        {
            throw new ArgumentException($"ComputeLayers must be in 0..256, got {ComputeLayers}.");
        }

        if (ComputeChannels < 1 || ComputeChannels > 1024)
        {
            throw new ArgumentException($"ComputeChannels must be in 1..1024, got {ComputeChannels}.");
        }

        if (!Enum.IsDefined(Family) || !Enum.IsDefined(InputIdsType) || !Enum.IsDefined(TimestepRank)
            || !Enum.IsDefined(TimestepType) || !Enum.IsDefined(VaeEncoderOutput))
        {
            throw new ArgumentException("An enum option has an undefined value.");
        }

        if (TokenizerSource is not null)
        {
            foreach (var file in new[] { "vocab.json", "merges.txt" })
            {
                if (!File.Exists(Path.Combine(TokenizerSource, file)))
                {
                    throw new ArgumentException($"TokenizerSource '{TokenizerSource}' has no {file}.");
                }
            }
        }
    }
}
