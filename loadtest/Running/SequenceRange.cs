using System.Globalization;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>An inclusive range of frame sequence numbers.</summary>
public sealed record SequenceRange(long First, long Last)
{
    /// <summary>Frames in the range.</summary>
    public long Count => Last - First + 1;

    /// <summary>The ranges of indices in [0, <paramref name="length"/>) where <paramref name="predicate"/> holds.</summary>
    public static IReadOnlyList<SequenceRange> Where(long length, Func<long, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var ranges = new List<SequenceRange>();
        long? start = null;
        for (long i = 0; i <= length; i++)
        {
            var hit = i < length && predicate(i);
            if (hit && start is null)
            {
                start = i;
            }
            else if (!hit && start is { } s)
            {
                ranges.Add(new SequenceRange(s, i - 1));
                start = null;
            }
        }

        return ranges;
    }

    /// <inheritdoc />
    public override string ToString() => First == Last
        ? First.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
