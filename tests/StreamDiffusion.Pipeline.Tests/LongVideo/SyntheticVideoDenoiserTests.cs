using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Pipeline.Tests.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.LongVideo;

/// <summary>The synthetic video denoiser mixes information along its frame axis, through the model's engine.</summary>
public sealed class SyntheticVideoDenoiserTests(SyntheticPackFixture fixture) : IClassFixture<SyntheticPackFixture>
{
    private const int Frames = 3;
    private const int Latent = 8;
    private const int Plane = Latent * Latent;

    [Fact]
    public async Task A_frame_noise_prediction_depends_on_its_neighbours_and_more_on_cleaner_ones()
    {
        var path = fixture.Pack("video-64", new SyntheticPackOptions { Video = true, ImageSize = 64 });
        await using var runtime = new ModelRuntime(ModelPack.Load(path));
        Assert.True(runtime.Pack.Unet.IsVideo);
        var embedding = await runtime.EncodePromptAsync("a red fox running through snow");
        var embeddings = embedding.Concat(embedding).ToArray();
        var shape = new LatentShape(2, 4, Latent, Latent) { Frames = Frames };

        // Two clips [4, 3, 8, 8] with frames at t = 99 (clean), 799 (middle) and 999 (noise).
        float[] timesteps = [99, 799, 999, 99, 799, 999];
        var clips = SyntheticTestData.Gaussian(shape.Length, 21);

        async Task<float[]> Predict(float[] latents)
        {
            var noise = new float[latents.Length];
            await runtime.Denoiser.PredictNoiseAsync(latents, timesteps, embeddings, noise, shape);
            return noise;
        }

        var baseline = await Predict(clips);

        // Change frame `frame` of clip 0 by the same structured (low-frequency) amount.
        float[] Perturbed(int frame)
        {
            var copy = (float[])clips.Clone();
            for (int c = 0; c < 4; c++)
            {
                var offset = ((c * Frames) + frame) * Plane;
                for (int i = 0; i < Plane; i++)
                {
                    copy[offset + i] += 0.5f;
                }
            }

            return copy;
        }

        double Change(float[] eps, int clip, int frame)
        {
            double sum = 0;
            for (int c = 0; c < 4; c++)
            {
                var offset = (clip * shape.ItemLength) + (((c * Frames) + frame) * Plane);
                for (int i = 0; i < Plane; i++)
                {
                    sum += Math.Abs(eps[offset + i] - baseline[offset + i]);
                }
            }

            return sum / (4 * Plane);
        }

        var fromClean = await Predict(Perturbed(0));
        var fromNoisy = await Predict(Perturbed(2));

        // The middle frame's ε changes when a neighbour changes: the frames are not denoised independently.
        var viaClean = Change(fromClean, 0, 1);
        var viaNoisy = Change(fromNoisy, 0, 1);
        Assert.True(viaClean > 1e-3, $"middle frame ignores its clean neighbour ({viaClean:g3})");

        // Weighted by noise level: the cleaner neighbour informs it more than the noisier one.
        Assert.True(viaClean > 3 * viaNoisy, $"clean neighbour {viaClean:g3} vs noisy neighbour {viaNoisy:g3}");

        // Mixing stays inside a clip: the other batch item is untouched.
        Assert.Equal(0, Change(fromClean, 1, 0) + Change(fromClean, 1, 1) + Change(fromClean, 1, 2));
    }
}
