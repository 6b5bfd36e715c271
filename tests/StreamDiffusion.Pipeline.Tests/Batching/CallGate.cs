namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>
/// Lets a test hold a probe model inside its call (so later requests pile up in the engine's queue
/// in a known order) and know when a call has started.
/// </summary>
internal sealed class CallGate : IDisposable
{
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(30);
    private readonly ManualResetEventSlim open = new(true);
    private readonly SemaphoreSlim entered = new(0);

    /// <summary>Calls from now on block inside the model until <see cref="Open"/>.</summary>
    public void Close() => open.Reset();

    /// <summary>Lets held and later calls run.</summary>
    public void Open() => open.Set();

    /// <summary>Called by the probe at the start of every call (on the engine thread).</summary>
    public void Enter()
    {
        entered.Release();
        if (!open.Wait(SafetyTimeout))
        {
            throw new TimeoutException("test gate was never opened");
        }
    }

    /// <summary>Waits until a call has entered the model.</summary>
    public async Task WaitForCallAsync() =>
        Assert.True(await entered.WaitAsync(SafetyTimeout), "the engine never called the model");

    public void Dispose()
    {
        open.Set();
        open.Dispose();
        entered.Dispose();
    }
}
