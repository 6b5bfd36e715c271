namespace StreamDiffusion.LoadTest.Running;

/// <summary>A ramp: runs at Start, Start+Step, … streams up to Max (each step for the run's duration).</summary>
/// <param name="Start">Streams of the first step.</param>
/// <param name="Step">Streams added per step.</param>
/// <param name="Max">Most streams tried.</param>
public sealed record RampOptions(int Start, int Step, int Max)
{
    /// <summary>The stream counts the ramp tries, in order.</summary>
    public IEnumerable<int> Counts()
    {
        for (var n = Start; n <= Max; n += Step)
        {
            yield return n;
        }
    }
}
