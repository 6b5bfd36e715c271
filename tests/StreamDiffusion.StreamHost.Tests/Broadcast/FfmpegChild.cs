using System.Diagnostics;
using System.Text;
using StreamDiffusion.StreamHost.Tests.Web;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>
/// An ffmpeg the test drives: a broadcaster pushing to the host, or a player reading the host's output as raw RGB24
/// frames on stdout. Disposing kills it and waits for it, so no test leaves one running.
/// </summary>
internal sealed class FfmpegChild : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Task _stderr;

    private FfmpegChild(Process process)
    {
        _process = process;
        _stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_log)
                {
                    if (_log.Length < 16_000)
                    {
                        _log.AppendLine(line);
                    }
                }
            }
        });
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static FfmpegChild Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExternalTools.Find("ffmpeg") ?? "ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-hide_banner", "-nostats", "-loglevel", "warning", .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        return new FfmpegChild(Process.Start(start) ?? throw new InvalidOperationException("could not start ffmpeg"));
    }

    /// <summary>Pushes <paramref name="input"/> (ffmpeg input arguments, with -re for real time) as H.264 in MPEG-TS to <paramref name="url"/>.</summary>
    public static FfmpegChild Broadcast(string url, params string[] input) => Start(
        [.. input, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10", "-pix_fmt", "yuv420p",
         "-f", "mpegts", url]);

    /// <summary>Reads <paramref name="url"/> and writes its video as raw RGB24 frames of the given size to stdout.</summary>
    public static FfmpegChild Play(string url, int width, int height, params string[] inputOptions) => Start(
        [.. inputOptions, "-i", url, "-an", "-vf", $"scale={width}:{height}", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]);

    /// <summary>The next frame of <paramref name="bytes"/> bytes from stdout, or null at the end or after <paramref name="timeout"/>.</summary>
    public async Task<byte[]?> ReadFrameAsync(int bytes, TimeSpan timeout)
    {
        var frame = new byte[bytes];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var read = await _process.StandardOutput.BaseStream.ReadAtLeastAsync(frame, bytes, throwOnEndOfStream: false, cts.Token);
            return read == bytes ? frame : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Asks ffmpeg to stop the way a user does (q on stdin): it finishes its output and closes the connection.</summary>
    public void Quit()
    {
        _process.StandardInput.Write('q');
        _process.StandardInput.Flush();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }

        _stderr.Wait(5000);
        _process.Dispose();
    }
}
