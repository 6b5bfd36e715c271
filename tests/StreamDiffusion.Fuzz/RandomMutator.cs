namespace StreamDiffusion.Fuzz;

/// <summary>
/// Deterministic byte-level mutations of a corpus (flips, interesting values, inserts, deletes, splices), the
/// coverage-blind stand-in for AFL++'s havoc stage that runs in CI without instrumentation.
/// </summary>
public sealed class RandomMutator
{
    private static readonly byte[] s_interesting = [0, 1, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'\\', (byte)'{', (byte)'}', (byte)'[', (byte)'\n', 0xED, 0xA0, 0xC0];
    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _corpus;

    public RandomMutator(IReadOnlyList<byte[]> corpus, int seed)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (corpus.Count == 0)
        {
            throw new ArgumentException("the corpus is empty", nameof(corpus));
        }

        _corpus = corpus;
        _random = new Random(seed);
    }

    /// <summary>The next input: a corpus entry with 1 to 8 stacked mutations.</summary>
    public byte[] Next()
    {
        var data = new List<byte>(_corpus[_random.Next(_corpus.Count)]);
        var rounds = 1 + _random.Next(8);
        for (var i = 0; i < rounds; i++)
        {
            Mutate(data);
        }

        return [.. data];
    }

    private void Mutate(List<byte> data)
    {
        var at = data.Count == 0 ? 0 : _random.Next(data.Count);
        switch (_random.Next(7))
        {
            case 0 when data.Count > 0:
                data[at] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[at] = s_interesting[_random.Next(s_interesting.Length)];
                break;
            case 2 when data.Count > 0:
                data[at] = (byte)_random.Next(256);
                break;
            case 3:
                data.InsertRange(at, Enumerable.Range(0, 1 + _random.Next(16)).Select(_ => (byte)_random.Next(256)));
                break;
            case 4 when data.Count > 1:
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(32)));
                break;
            case 5:
                var other = _corpus[_random.Next(_corpus.Count)];
                if (other.Length > 0)
                {
                    var from = _random.Next(other.Length);
                    data.InsertRange(at, other.Skip(from).Take(1 + _random.Next(64)));
                }

                break;
            default:
                if (data.Count > at + 4)
                {
                    // Multi-byte integers in headers and varints: set 4 bytes at once.
                    var value = BitConverter.GetBytes(_random.Next(5) switch { 0 => 0, 1 => -1, 2 => int.MaxValue, 3 => int.MinValue, _ => _random.Next() });
                    for (var i = 0; i < 4; i++)
                    {
                        data[at + i] = value[i];
                    }
                }

                break;
        }
    }
}
