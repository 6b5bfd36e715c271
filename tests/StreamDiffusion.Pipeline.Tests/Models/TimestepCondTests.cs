using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.Pipeline.Tests.Models;

/// <summary>The LCM guidance embedding setting (issue 13, point 4): reference zeros by default, diffusers' 8.5 or a number.</summary>
public sealed class TimestepCondTests(SyntheticPackFixture packs) : IClassFixture<SyntheticPackFixture>
{
    [Theory]
    [InlineData("reference", null)]
    [InlineData("Reference", null)]
    [InlineData("diffusers", 8.5f)]
    [InlineData("7.25", 7.25f)]
    public void Settings_parse(string text, float? expected) => Assert.Equal(expected, TimestepCond.Parse(text));

    [Theory]
    [InlineData("zero")]
    [InlineData("NaN")]
    [InlineData("")]
    public void Bad_settings_are_refused(string text) => Assert.Throws<FormatException>(() => TimestepCond.Parse(text));

    [Fact]
    public void The_default_feeds_zeros_like_the_reference_and_diffusers_changes_the_prediction()
    {
        Assert.Null(new ModelPackOptions().TimestepCondGuidance);
        var directory = packs.Get(new SyntheticPackOptions { ImageSize = 64, TimestepCond = true });
        using var reference = ModelPack.Load(directory);
        using var diffusers = ModelPack.Load(directory, new ModelPackOptions { TimestepCondGuidance = TimestepCond.DiffusersGuidance });
        Assert.Contains("fed zeros (reference)", reference.Unet.Summary, StringComparison.Ordinal);
        Assert.Contains("fed guidance embedding of w = 7.5", diffusers.Unet.Summary, StringComparison.Ordinal);

        var shape = new LatentShape(1, 4, 8, 8);
        var latents = Enumerable.Range(0, shape.Length).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var embedding = Enumerable.Range(0, 77 * reference.HiddenSize).Select(i => MathF.Cos(i * 0.01f)).ToArray();
        var zeros = new float[shape.Length];
        var guided = new float[shape.Length];
        reference.Unet.PredictNoise(latents, [499f], embedding, zeros, shape);
        diffusers.Unet.PredictNoise(latents, [499f], embedding, guided, shape);
        Assert.True(zeros.Zip(guided, (a, b) => Math.Abs(a - b)).Max() > 1e-4, "the guidance embedding must reach the UNet");
    }
}
