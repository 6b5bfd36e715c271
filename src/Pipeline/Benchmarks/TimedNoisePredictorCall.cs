using System.Diagnostics;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Times every run of a bound denoiser call into an <see cref="OnnxTimer"/>, as <see cref="TimedNoisePredictor"/> times unbound calls.</summary>
internal sealed class TimedNoisePredictorCall(INoisePredictorCall inner, OnnxTimer timer) : INoisePredictorCall
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
