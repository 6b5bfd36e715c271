namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>
/// Lets a test hold a probe model inside its call (so later requests pile up in the engine's queue
/// in a known order) and know when a call has started.
/// </summary>
internal sealed class CallGate : IDisposable
{
    private static readonly TimeSpan s_safetyTimeout = TimeSpan.FromSeconds(30);
    private readonly ManualResetEventSlim _open = new(true);
    private readonly SemaphoreSlim _entered = new(0);

    /// <summary>Calls from now on block inside the model until <see cref="Open"/>.</summary>
    public void Close() => _open.Reset();

    /// <summary>Lets held and later calls run.</summary>
    public void Open() => _open.Set();

    /// <summary>Called by the probe at the start of every call (on the engine thread).</summary>
    public void Enter()
    {
        _entered.Release();
        if (!_open.Wait(s_safetyTimeout))
        {
            throw new TimeoutException("test gate was never opened");
        }
    }

    /// <summary>Waits until a call has entered the model.</summary>
    public async Task WaitForCallAsync() =>
        Assert.True(await _entered.WaitAsync(s_safetyTimeout), "the engine never called the model");

    public void Dispose()
    {
        _open.Set();
        _open.Dispose();
        _entered.Dispose();
    }
}
