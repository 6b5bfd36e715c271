using System.Diagnostics;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// The floor of a frame: the same model calls one warm single-stream frame makes (codec encode of one
/// image, one UNet call of the frame's items, codec decode of one latent), run back to back on the
/// pack's own models in a bare loop, with no engines, awaits or conversions in between. A full frame's
/// time inside the sessions over this floor shows losses that only the live path has (an idle thread
/// pool taking the cores from the next call, cold caches after engine hand-offs).
/// </summary>
internal sealed class OnnxFloor
{
    private readonly BenchmarkContext _context;
    private readonly float[] _latents;
    private readonly float[] _unetIn;
    private readonly float[] _noise;
    private readonly float[] _timesteps;
    private readonly float[] _embeddings;
    private readonly float[] _image;

    /// <param name="context">The loaded benchmark.</param>
    /// <param name="tIndex">The stream's t_index list: one UNet item per step (self residual CFG).</param>
    public OnnxFloor(BenchmarkContext context, int[] tIndex)
    {
        _context = context;
        var shape = context.LatentShape;
        _latents = new float[shape.Length];
        _unetIn = new float[shape.Length * tIndex.Length];
        _noise = new float[_unetIn.Length];
        _timesteps = tIndex.Select(i => (float)context.Runtime.Scheduler.Timestep(i)).ToArray();
        _embeddings = Enumerable.Repeat(context.Positive, tIndex.Length).SelectMany(e => e).ToArray();
        _image = new float[3 * context.Size * context.Size];
        ItemsPerFrame = tIndex.Length;
    }

    /// <summary>UNet items per frame.</summary>
    public int ItemsPerFrame { get; }

    /// <summary>Runs frames [start, start + count) and returns the stopwatch ticks they took.</summary>
    public long Run(int start, int count)
    {
        var pack = _context.Pack;
        var size = _context.Size;
        var frameShape = _context.LatentShape;
        var batchShape = frameShape with { Batch = ItemsPerFrame };
        var begin = Stopwatch.GetTimestamp();
        for (var i = start; i < start + count; i++)
        {
            pack.Codec.Encode(_context.Frames.Tensors[i % _context.Frames.Count], 1, size, size, _latents);
            for (var k = 0; k < ItemsPerFrame; k++)
            {
                _latents.CopyTo(_unetIn, k * _latents.Length);
            }

            pack.Unet.PredictNoise(_unetIn, _timesteps, _embeddings, _noise, batchShape);
            pack.Codec.Decode(_noise.AsSpan(0, frameShape.Length), 1, size, size, _image);
        }

        return Stopwatch.GetTimestamp() - begin;
    }
}
