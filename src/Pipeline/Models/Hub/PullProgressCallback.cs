namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its callback inline on the reporting thread. Unlike
/// <see cref="Progress{T}"/> (which posts to the thread pool when there is no synchronization context) the reports
/// arrive in order, so a progress bar fed absolute byte counts never steps backwards or misses its final state.
/// The callback must be quick and thread-safe.
/// </summary>
public sealed class PullProgressCallback : IProgress<PullProgress>
{
    private readonly Action<PullProgress> _callback;

    /// <summary>Wraps <paramref name="callback"/>.</summary>
    public PullProgressCallback(Action<PullProgress> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _callback = callback;
    }

    /// <inheritdoc />
    public void Report(PullProgress value) => _callback(value);
}
