using System.Diagnostics;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// One ffmpeg child process with binary stdin and stdout pipes. Its stderr is drained continuously (so ffmpeg
/// never blocks on a full pipe) into the last few lines, kept for the error message when it fails. Disposing kills
/// it if still running and waits for it to exit (bounded), so a session never leaves one behind.
/// </summary>
internal sealed class FfmpegProcess : IDisposable
{
    private const int KeptErrorLines = 8;
    private static readonly TimeSpan s_exitWait = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Queue<string> _errorTail = new();
    private readonly Task _stderr;
    private int _disposed;

    private FfmpegProcess(Process process)
    {
        _process = process;
        Id = process.Id;
        _stderr = DrainErrorsAsync();
    }

    /// <summary>The child's process id (tests check it is gone after the session).</summary>
    public int Id { get; }

    /// <summary>Writes into ffmpeg's stdin.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Reads ffmpeg's stdout.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>CPU time the process has used so far (user + system), zero once it cannot be read.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try
            {
                return _process.TotalProcessorTime;
            }
            catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
            {
                return TimeSpan.Zero;
            }
        }
    }

    /// <summary>The last lines ffmpeg wrote to stderr, one string.</summary>
    public string ErrorTail
    {
        get
        {
            lock (_errorTail)
            {
                return string.Join(" | ", _errorTail);
            }
        }
    }

    /// <summary>Starts <paramref name="executable"/> (ffmpeg) with <paramref name="arguments"/>.</summary>
    public static FfmpegProcess Start(string executable, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new IOException("could not start " + executable);
        return new FfmpegProcess(process);
    }

    /// <summary>Waits for the process to exit on its own, up to <paramref name="timeout"/>; false if it did not.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills the process now, without waiting: its pipes break, so a write blocked on them fails. Dispose still reaps it.</summary>
    public void Kill()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited (or reaped) already.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(s_exitWait);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited between the check and the kill.
        }

        _stderr.Wait(s_exitWait);
        _process.Dispose();
    }

    private async Task DrainErrorsAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_errorTail)
                {
                    _errorTail.Enqueue(line);
                    if (_errorTail.Count > KeptErrorLines)
                    {
                        _errorTail.Dequeue();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process went away.
        }
    }
}
