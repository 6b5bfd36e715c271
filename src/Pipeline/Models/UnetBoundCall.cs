using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// A <see cref="UnetModel"/> call bound to the caller's pinned buffers. A graph whose timestep is
/// an integer gets its own pinned buffer, filled from the caller's float timesteps (rounded, as the
/// unbound path does) before each run: a handful of values, not a tensor copy.
/// </summary>
internal sealed class UnetBoundCall : INoisePredictorCall
{
    private readonly OnnxBoundCall _call;
    private readonly PinnedBuffer<float> _timesteps;
    private readonly int _timestepCount;
    private readonly PinnedBuffer<long>? _longTimesteps;
    private readonly PinnedBuffer<int>? _intTimesteps;

    public UnetBoundCall(OnnxBoundCall call, PinnedBuffer<float> timesteps, int timestepCount, PinnedBuffer<long>? longTimesteps, PinnedBuffer<int>? intTimesteps)
    {
        _call = call;
        _timesteps = timesteps;
        _timestepCount = timestepCount;
        _longTimesteps = longTimesteps;
        _intTimesteps = intTimesteps;
    }

    public void Run(CancellationToken cancellationToken)
    {
        var source = _timesteps.Span[.._timestepCount];
        if (_longTimesteps is not null)
        {
            var target = _longTimesteps.Span;
            for (var i = 0; i < source.Length; i++)
            {
                target[i] = (long)MathF.Round(source[i]);
            }
        }
        else if (_intTimesteps is not null)
        {
            var target = _intTimesteps.Span;
            for (var i = 0; i < source.Length; i++)
            {
                target[i] = (int)MathF.Round(source[i]);
            }
        }

        _call.Run(cancellationToken);
    }

    public void Dispose() => _call.Dispose();
}
