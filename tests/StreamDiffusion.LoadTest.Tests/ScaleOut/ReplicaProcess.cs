using System.Diagnostics;
using System.Text.RegularExpressions;

namespace StreamDiffusion.LoadTest.Tests.ScaleOut;

/// <summary>
/// The real host executable as a child process on OS-chosen loopback ports, so it can be sent SIGTERM like a pod.
/// Its output is kept (the last lines only) for failure messages; the process is killed on dispose if still running.
/// </summary>
internal sealed partial class ReplicaProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource<(Uri Grpc, Uri Http)> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ReplicaProcess(Process process) => _process = process;

    public Uri GrpcAddress { get; private set; } = null!;

    public Uri HttpAddress { get; private set; } = null!;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static async Task<ReplicaProcess> StartAsync(string name, params string[] settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "streamhost.dll"));
        start.ArgumentList.Add("serve");
        foreach (var arg in (string[])["--Listen:GrpcUrl=http://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0", $"--Replica:Name={name}", .. settings])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        var replica = new ReplicaProcess(Process.Start(start)!);
        replica._process.OutputDataReceived += (_, e) => replica.OnLine(e.Data);
        replica._process.ErrorDataReceived += (_, e) => replica.OnLine(e.Data);
        replica._process.BeginOutputReadLine();
        replica._process.BeginErrorReadLine();
        try
        {
            (replica.GrpcAddress, replica.HttpAddress) = await replica._listening.Task.WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            await replica.DisposeAsync();
            throw new TimeoutException($"replica {name} did not start:\n{replica.Output}");
        }

        return replica;
    }

    /// <summary>What a pod gets on deletion.</summary>
    public void SendSigterm()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _listening.TrySetException(new InvalidOperationException("the host exited before listening:\n" + Output));
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }

        var match = ServingLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult((new Uri(match.Groups["grpc"].Value), new Uri(match.Groups["http"].Value)));
        }
    }

    [GeneratedRegex(@"Serving gRPC on (?<grpc>http://[0-9.:]+)/?, .* on (?<http>http://[0-9.:]+)/?;")]
    private static partial Regex ServingLine();
}
