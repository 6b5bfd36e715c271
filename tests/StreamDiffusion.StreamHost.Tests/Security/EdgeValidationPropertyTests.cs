using CsCheck;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>
/// Property-based tests (CsCheck) of the host's edge: generated configs and raw frames are accepted exactly when an
/// independent statement of the documented rules says they are valid, and every rejection is INVALID_ARGUMENT with
/// a message naming the field. CsCheck shrinks a failure to its smallest example.
/// </summary>
public sealed class EdgeValidationPropertyTests
{
    private const int Iterations = 20_000;
    private static readonly ModelDescriptor s_model = new("default", string.Empty, "CPU", 512, IsDefault: true);
    private static readonly LimitsOptions s_limits = new();

    // Sizes around every boundary: 0 (model size), multiples of 8, off-by-one, beyond the limit, negative.
    private static readonly Gen<int> s_size = Gen.OneOf(Gen.Const(0), Gen.Int[1, 128].Select(k => k * 8), Gen.Int[-16, 1100], Gen.Int);

    private static readonly float[] s_edgeScalars = [0f, 1f, 20f, 20.0001f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon];

    private static readonly Gen<float> s_scalar = Gen.OneOf(Gen.Float[-1f, 25f], Gen.Int[0, s_edgeScalars.Length - 1].Select(i => s_edgeScalars[i]));

    private static readonly Gen<float?> s_optionalScalar = Gen.OneOf(s_scalar.Select(v => (float?)v), Gen.Const((float?)null));

    private static readonly Gen<int[]> s_tIndex = Gen.OneOf(Gen.Int[-2, 52].Array[0, 10], Gen.Int[0, 49].Array[1, 8].Select(a => a.Distinct().Order().ToArray()));

    private static readonly Gen<string> s_text = Gen.OneOf(
        Gen.String[Gen.Char.AlphaNumeric, 0, 64],
        Gen.String[Gen.Char['\u00a0', '\ud7ff'], 0, 64],
        Gen.Int[4090, 4100].Select(n => new string('a', n)));

    private static readonly Gen<SessionConfig> s_config =
        Gen.Select(s_size, s_size, s_optionalScalar, s_optionalScalar, s_tIndex, Gen.Int[-3, 103], s_text, Gen.Bool)
            .Select((w, h, guidance, delta, tIndex, quality, text, weighted) =>
            {
                var config = new SessionConfig { Width = w, Height = h, Quality = quality };
                if (guidance is { } g)
                {
                    config.GuidanceScale = g;
                }

                if (delta is { } d)
                {
                    config.Delta = d;
                }

                config.TIndexList.Add(tIndex);

                // Either a prompt or weighted prompts (never both: that combination has its own rule and test).
                if (weighted)
                {
                    config.Prompts.Add(new WeightedPrompt { Text = text, Weight = quality / 10f - 1f });
                }
                else
                {
                    config.Prompt = text;
                }

                return config;
            });

    private static readonly string[] s_configFields =
    [
        "config.width", "config.height", "config.guidance_scale", "config.delta", "config.t_index_list", "config.quality",
        "config.prompt", "config.prompts", "config.prompts[0].text", "config.prompts[0].weight",
    ];

    [Fact]
    public void A_config_is_accepted_exactly_when_it_follows_the_documented_rules()
    {
        s_config.Sample(config =>
        {
            var expectValid = IsValidConfig(config);
            try
            {
                var settings = SessionSettingsValidator.FromConfig(config, s_model, s_limits);
                Assert.True(expectValid, "accepted an invalid config: " + config);
                Assert.True(settings.Width % 8 == 0 && settings.Width is > 0 and <= 1024, "width " + settings.Width);
                Assert.True(settings.Height % 8 == 0 && settings.Height is > 0 and <= 1024, "height " + settings.Height);
            }
            catch (RpcException ex)
            {
                Assert.False(expectValid, $"rejected a valid config {config}: {ex.Status.Detail}");
                Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
                var field = ex.Status.Detail[..ex.Status.Detail.IndexOf(':', StringComparison.Ordinal)];
                Assert.Contains(field, s_configFields);
            }
        }, iter: Iterations, seed: "0000000000001");
    }

    [Fact]
    public void A_raw_frame_is_accepted_exactly_when_its_geometry_matches_its_length()
    {
        var gen = Gen.Select(Gen.Int[-2, 1030], Gen.Int[-2, 1030], Gen.OneOf(Gen.Const(0), Gen.Int[-4, 3200]), Gen.Int[-3, 3], Gen.Bool);
        gen.Sample((width, height, stride, lengthError, bgr) =>
        {
            var effective = stride == 0 ? width * 3 : stride;
            var length = Math.Max(0, (width > 0 && height > 0 && effective > 0 ? effective * Math.Min(height, 64) : 16) + lengthError);

            // Tall frames are checked with a short buffer: their length can only be right for height <= 64.
            var frame = new InputFrame
            {
                Format = bgr ? FrameFormat.Bgr24 : FrameFormat.Rgb24,
                Width = width,
                Height = height,
                Stride = stride,
                Data = ByteString.CopyFrom(new byte[length]),
            };
            var expectValid = width is >= 1 and <= 1024 && height is >= 1 and <= 1024 && effective >= width * 3
                && length > 0 && length == (long)effective * height;
            var problem = FrameValidator.Validate(frame, GenerationMode.Img2Img, s_limits);
            if (expectValid)
            {
                Assert.True(problem is null, $"rejected a valid frame {width}x{height} stride {stride} length {length}: {problem}");
            }
            else
            {
                Assert.NotNull(problem);
                Assert.Matches(@"^frame\.(width|height|stride|data): \S", problem);
            }
        }, iter: Iterations, seed: "0000000000002");
    }

    // The rules as docs/api.md and the proto state them, written independently of the validator.
    private static bool IsValidConfig(SessionConfig c)
    {
        static bool Size(int v) => v == 0 || (v > 0 && v % 8 == 0 && v <= 1024);
        static bool InRange(float v, float min, float max) => float.IsFinite(v) && v >= min && v <= max;

        if (!Size(c.Width) || !Size(c.Height) || (c.Width == 0) != (c.Height == 0))
        {
            return false;
        }

        if ((c.HasGuidanceScale && !InRange(c.GuidanceScale, 0, 20)) || (c.HasDelta && !InRange(c.Delta, 0, 1)))
        {
            return false;
        }

        var t = c.TIndexList;
        if (t.Count > 0 && (t.Count > 8 || t.Any(v => v is < 0 or > 49) || t.Zip(t.Skip(1)).Any(p => p.Second <= p.First)))
        {
            return false;
        }

        if (c.Quality is < 0 or > 100)
        {
            return false;
        }

        if (c.Prompt.Length > 4096 || c.Prompts.Any(p => p.Text.Length > 4096 || !float.IsFinite(p.Weight) || p.Weight < 0))
        {
            return false;
        }

        return c.Prompts.Count == 0 || c.Prompts.Sum(p => (double)p.Weight) > 0;
    }
}
