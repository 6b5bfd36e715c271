using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

public class PromptBlendTests
{
    private static readonly float[] s_a = [1, 0, 0, 0, 3, 0];
    private static readonly float[] s_b = [0, 1, 0, 0, 0, 3];

    [Fact]
    public void Two_prompts_slerp_row_by_row()
    {
        // Rows of width 2: [1,0],[0,0],[3,0] vs [0,1],[0,0],[0,3]; halfway on the arc keeps the row norms.
        float[] half = PromptBlend.Blend([new(s_a, 1), new(s_b, 1)], 2);
        float h = MathF.Sqrt(0.5f);
        float[] expected = [h, h, 0, 0, 3 * h, 3 * h];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], half[i], 1e-5f);
        }

        Assert.Equal(s_a, PromptBlend.Blend([new(s_a, 1), new(s_b, 0)], 2));
        float[] end = PromptBlend.Blend([new(s_a, 0), new(s_b, 2)], 2);
        for (int i = 0; i < s_b.Length; i++)
        {
            Assert.Equal(s_b[i], end[i], 1e-6f);
        }
    }

    [Fact]
    public void Slerp_at_a_third_follows_the_arc()
    {
        var result = new float[2];
        PromptBlend.Slerp([1, 0], [0, 1], 1f / 3, result);
        Assert.Equal(MathF.Cos(MathF.PI / 6), result[0], 1e-5f);
        Assert.Equal(MathF.Sin(MathF.PI / 6), result[1], 1e-5f);
    }

    [Fact]
    public void Parallel_rows_fall_back_to_linear_interpolation()
    {
        var result = new float[2];
        PromptBlend.Slerp([1, 1], [2, 2], 0.5f, result);
        Assert.Equal([1.5f, 1.5f], result);
    }

    [Fact]
    public void Three_or_more_prompts_use_the_normalized_weighted_sum()
    {
        float[] c = [2, 2, 2, 2, 2, 2];
        float[] blend = PromptBlend.Blend([new(s_a, 1), new(s_b, 1), new(c, 2)], 2);
        for (int i = 0; i < s_a.Length; i++)
        {
            Assert.Equal((s_a[i] + s_b[i] + (2 * c[i])) / 4, blend[i], 1e-6f);
        }
    }

    [Fact]
    public void Single_prompt_is_copied()
    {
        float[] result = PromptBlend.Blend([new(s_a, 0.3f)], 2);
        Assert.Equal(s_a, result);
        Assert.NotSame(s_a, result);
    }

    [Fact]
    public void Bad_input_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => PromptBlend.Blend([], 2));
        Assert.Throws<ArgumentException>(() => PromptBlend.Blend([new(s_a, 1), new([1, 2], 1)], 2));
        Assert.Throws<ArgumentException>(() => PromptBlend.Blend([new(s_a, -1), new(s_b, 1)], 2));
        Assert.Throws<ArgumentException>(() => PromptBlend.Blend([new(s_a, 0), new(s_b, 0)], 2));
        Assert.Throws<ArgumentException>(() => PromptBlend.Blend([new(s_a, 1)], 4));
    }
}
