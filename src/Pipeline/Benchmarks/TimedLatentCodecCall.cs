using System.Diagnostics;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Times every run of a bound codec call into an <see cref="OnnxTimer"/>, as <see cref="TimedLatentCodec"/> times unbound calls.</summary>
internal sealed class TimedLatentCodecCall(ILatentCodecCall inner, OnnxTimer timer) : ILatentCodecCall
{
    public void Run(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            inner.Run(cancellationToken);
        }
        finally
        {
            timer.Stop(start);
        }
    }

    public void Dispose() => inner.Dispose();
}
