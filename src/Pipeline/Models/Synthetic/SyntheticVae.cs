using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>
/// A real, lossy autoencoder: 8x8 average pooling, a 1x1 colour mix into 4 latent channels; back with the
/// pseudo-inverse mix and ×8 bilinear upsampling. The SD VAE works on images in [-1,1] and unscaled latents
/// (scaled = unscaled·0.18215); the TAESD variant works on images in [0,1] and scaled latents directly,
/// and both agree: TAESD latents equal the SD latents times the scaling factor.
/// </summary>
internal static class SyntheticVae
{
    private const int Factor = 8;
    private const float LogVariance = -20f;

    public static ModelProto BuildEncoder(SyntheticPackOptions options, SyntheticColourMap map, bool taesd)
    {
        var io = options.Float16 ? DataType.Float16 : DataType.Float;
        var g = new OnnxGraphBuilder(taesd ? "synthetic_taesd_encoder" : "synthetic_vae_encoder");
        var input = g.Input("sample", io, "batch_size", 3, "height", "width");
        var x = options.Float16 ? g.Cast(input, DataType.Float) : input;
        var pooled = g.Node(
            "AveragePool",
            [x],
            ("kernel_shape", new long[] { Factor, Factor }),
            ("strides", new long[] { Factor, Factor }));

        bool parameters = !taesd && options.VaeEncoderOutput == SyntheticVaeEncoderOutput.LatentParameters;
        int outChannels = parameters ? 8 : 4;
        var weight = new float[outChannels * 3];
        var bias = new float[outChannels];
        for (int r = 0; r < 4; r++)
        {
            double offset = map.Bias[r];
            for (int c = 0; c < 3; c++)
            {
                double gain = map.Forward(r, c);
                if (taesd)
                {
                    // u ∈ [0,1], x = 2u − 1: z = 2G·u + (c − G·1).
                    weight[(r * 3) + c] = (float)(2 * gain);
                    offset -= gain;
                }
                else
                {
                    weight[(r * 3) + c] = (float)(gain / SyntheticColourMap.ScalingFactor);
                }
            }

            bias[r] = (float)(taesd ? offset : offset / SyntheticColourMap.ScalingFactor);
        }

        for (int r = 4; r < outChannels; r++)
        {
            // A near-deterministic posterior, like SD's VAE (std = exp(-10)).
            bias[r] = LogVariance;
        }

        var latent = g.Node("Conv", [pooled, g.Floats("mix", weight, outChannels, 3, 1, 1), g.Floats("mix_bias", bias, outChannels)]);
        var output = options.Float16 ? g.Cast(latent, DataType.Float16) : latent;
        g.Output(parameters ? "latent_parameters" : "latent_sample", output, io, "batch_size", outChannels, "height_latent", "width_latent");
        return g.Build(taesd
            ? "Synthetic TAESD-shaped encoder: [0,1] image → scaled latent (StreamDiffusion.Net)."
            : "Synthetic VAE encoder: [-1,1] image → latent (StreamDiffusion.Net).");
    }

    public static ModelProto BuildDecoder(SyntheticPackOptions options, SyntheticColourMap map, bool taesd)
    {
        var io = options.Float16 ? DataType.Float16 : DataType.Float;
        var g = new OnnxGraphBuilder(taesd ? "synthetic_taesd_decoder" : "synthetic_vae_decoder");
        var input = g.Input("latent_sample", io, "batch_size", 4, "height_latent", "width_latent");
        var z = options.Float16 ? g.Cast(input, DataType.Float) : input;

        var weight = new float[3 * 4];
        var bias = new float[3];
        for (int c = 0; c < 3; c++)
        {
            double offset = 0;
            for (int r = 0; r < 4; r++)
            {
                double inverse = map.Inverse(c, r);
                offset -= inverse * map.Bias[r];

                // SD: x = G⁺(0.18215·z − c). TAESD: u = (x + 1)/2 with z already scaled.
                weight[(c * 4) + r] = (float)(taesd ? 0.5 * inverse : inverse * SyntheticColourMap.ScalingFactor);
            }

            bias[c] = (float)(taesd ? (0.5 * offset) + 0.5 : offset);
        }

        // The mix commutes with the (linear) upsampling, so it runs at latent resolution where it is 64x cheaper.
        var colour = g.Node("Conv", [z, g.Floats("unmix", weight, 3, 4, 1, 1), g.Floats("unmix_bias", bias, 3)]);
        var upsampled = g.Node(
            "Resize",
            [colour, string.Empty, g.Floats("scales", [1f, 1f, Factor, Factor], 4)],
            ("mode", "linear"),
            ("coordinate_transformation_mode", "half_pixel"));
        var clipped = g.Node("Clip", [upsampled, g.Scalar(taesd ? 0f : -1f), g.Scalar(1f)]);
        var output = options.Float16 ? g.Cast(clipped, DataType.Float16) : clipped;
        g.Output("sample", output, io, "batch_size", 3, "height", "width");
        return g.Build(taesd
            ? "Synthetic TAESD-shaped decoder: scaled latent → [0,1] image (StreamDiffusion.Net)."
            : "Synthetic VAE decoder: latent → [-1,1] image (StreamDiffusion.Net).");
    }
}
