using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using StreamDiffusion.StreamClient.Sessions;

namespace StreamDiffusion.StreamClient.Reporting;

/// <summary>
/// Shows a running stream's progress: one Spectre.Console live line, refreshed twice a second, on an interactive
/// terminal; a plain line per second when the output is redirected (logs, CI, tests).
/// </summary>
public sealed class ProgressReporter
{
    private readonly IAnsiConsole _console;
    private readonly bool _live;
    private readonly TimeSpan _interval;
    private long _lastReceived;
    private long _lastTimestamp;

    /// <summary>Creates a reporter writing to <paramref name="console"/>.</summary>
    /// <param name="console">Where to write.</param>
    /// <param name="live">Redraw one line in place (interactive terminal) rather than print lines.</param>
    /// <param name="interval">Refresh interval; default 0.5 s live, 1 s plain.</param>
    public ProgressReporter(IAnsiConsole console, bool live, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        _console = console;
        _live = live;
        _interval = interval ?? TimeSpan.FromSeconds(live ? 0.5 : 1);
    }

    /// <summary>Formats one progress line.</summary>
    public static string FormatLine(StreamProgress progress, double fps)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var latency = progress.Latency.Summarize();
        return string.Create(CultureInfo.InvariantCulture,
            $"sent {progress.Sent}  recv {progress.Received}  skip {progress.Skipped}  drop {progress.Dropped}  fail {progress.Failed}  "
            + $"{fps:0.0} fps  p50 {latency.P50Ms:0.0} ms  p95 {latency.P95Ms:0.0} ms");
    }

    /// <summary>Reports until <paramref name="running"/> completes (whatever its outcome).</summary>
    public Task RunAsync(StreamSession session, Task running)
    {
        ArgumentNullException.ThrowIfNull(session);
        _lastTimestamp = Stopwatch.GetTimestamp();
        return RunAsync(() => session.Started is null ? null : Next(session), running);
    }

    /// <summary>
    /// Reports the line <paramref name="line"/> gives (null: nothing to report yet) until <paramref name="running"/>
    /// completes: any long call, e.g. a GenerateVideo download.
    /// </summary>
    public async Task RunAsync(Func<string?> line, Task running)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(running);
        if (_live)
        {
            await _console.Live(new Text(string.Empty)).AutoClear(true).StartAsync(async context =>
            {
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, Task.Delay(_interval)).ConfigureAwait(false);
                    // One line that never wraps, so the redraw stays in place on a narrow terminal.
                    context.UpdateTarget(new Text(line() ?? string.Empty) { Overflow = Overflow.Ellipsis });
                    context.Refresh();
                }
            }).ConfigureAwait(false);
            return;
        }

        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(_interval)).ConfigureAwait(false);
            if (!running.IsCompleted && line() is { } text)
            {
                _console.WriteLine(text);
            }
        }
    }

    private string Next(StreamSession session)
    {
        // fps over the last refresh interval, so the line follows the stream as it is now.
        var now = Stopwatch.GetTimestamp();
        var received = session.Progress.Received;
        var seconds = Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        var fps = seconds > 0 ? (received - _lastReceived) / seconds : 0;
        (_lastReceived, _lastTimestamp) = (received, now);
        return FormatLine(session.Progress, fps);
    }
}
