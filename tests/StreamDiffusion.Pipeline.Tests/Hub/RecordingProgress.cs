using StreamDiffusion.Pipeline.Models.Hub;

namespace StreamDiffusion.Pipeline.Tests.Hub;

/// <summary>
/// A synchronous <see cref="IProgress{T}"/> (Progress&lt;T&gt; posts to the thread pool, too late to observe the disk
/// at the moment of the report) that also runs a probe on every report.
/// </summary>
internal sealed class RecordingProgress(Action<PullProgress>? probe = null) : IProgress<PullProgress>
{
    private readonly List<PullProgress> _reports = [];

    public IReadOnlyList<PullProgress> Reports
    {
        get
        {
            lock (_reports)
            {
                return _reports.ToList();
            }
        }
    }

    public void Report(PullProgress value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }

        probe?.Invoke(value);
    }
}
