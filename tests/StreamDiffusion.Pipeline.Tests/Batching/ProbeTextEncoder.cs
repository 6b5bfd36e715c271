using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>A deterministic per-row text encoder that records each call's row count.</summary>
internal sealed class ProbeTextEncoder
{
    public const int Hidden = 4;
    public const int RowLength = TextEncoderModel.SequenceLength * Hidden;

    private readonly List<int> _calls = [];
    private readonly CallGate? _gate;

    public ProbeTextEncoder(CallGate? gate = null)
    {
        _gate = gate;
    }

    public IReadOnlyList<int> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public void Encode(ReadOnlySpan<long> ids, int batch, Span<float> embeddings)
    {
        lock (_calls)
        {
            _calls.Add(batch);
        }

        _gate?.Enter();
        Assert.Equal(batch * TextEncoderModel.SequenceLength, ids.Length);
        Assert.Equal(batch * RowLength, embeddings.Length);
        for (var row = 0; row < batch; row++)
        {
            for (var s = 0; s < TextEncoderModel.SequenceLength; s++)
            {
                var id = ids[(row * TextEncoderModel.SequenceLength) + s];
                for (var d = 0; d < Hidden; d++)
                {
                    embeddings[(row * RowLength) + (s * Hidden) + d] = (id * 0.5f) + d + (s * 0.001f);
                }
            }
        }
    }

    /// <summary>Embeddings for <paramref name="ids"/> computed directly, unbatched.</summary>
    public static float[] Direct(long[] ids)
    {
        var rows = ids.Length / TextEncoderModel.SequenceLength;
        var result = new float[rows * RowLength];
        new ProbeTextEncoder().Encode(ids, rows, result);
        return result;
    }

    public static long[] Ids(Random random, int rows)
    {
        var ids = new long[rows * TextEncoderModel.SequenceLength];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(0, 49408);
        }

        return ids;
    }
}
