using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace StreamDiffusion.LoadTest.Tests.ScaleOut;

/// <summary>
/// Debian's nginx running deploy/nginx/streamdiffusion.conf, with the upstream servers and listen ports replaced by
/// loopback ones, in the foreground as a child process with its files in a temp folder.
/// </summary>
internal sealed partial class NginxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private NginxProcess(Process process, string folder, Uri grpc)
    {
        _process = process;
        _folder = folder;
        GrpcAddress = grpc;
    }

    public Uri GrpcAddress { get; }

    public string ErrorLog => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : string.Empty;

    public static async Task<NginxProcess> StartAsync(IReadOnlyList<(Uri Grpc, Uri Http)> replicas)
    {
        var folder = Directory.CreateTempSubdirectory("nginx-scaleout-").FullName;
        var grpcPort = FreePort();
        var httpPort = FreePort();
        var site = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "deploy/nginx/streamdiffusion.conf"));
        site = UpstreamServers().Replace(site, m => string.Join('\n', replicas.Select(r =>
            $"    server 127.0.0.1:{(m.Groups["port"].Value == "50051" ? r.Grpc.Port : r.Http.Port)}{m.Groups["rest"].Value}")), 2);
        Assert.Equal(2 * replicas.Count, Regex.Count(site, @"server 127\.0\.0\.1:"));
        site = site.Replace("listen 50051 http2;", $"listen 127.0.0.1:{grpcPort} http2;", StringComparison.Ordinal)
            .Replace("listen 8080;", $"listen 127.0.0.1:{httpPort};", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "streamdiffusion.conf"), site);
        File.WriteAllText(Path.Combine(folder, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{folder}}/body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
                include {{folder}}/streamdiffusion.conf;
            }
            """);
        var start = new ProcessStartInfo("nginx") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in (string[])["-c", Path.Combine(folder, "nginx.conf"), "-p", folder, "-e", Path.Combine(folder, "error.log")])
        {
            start.ArgumentList.Add(arg);
        }

        var nginx = new NginxProcess(Process.Start(start)!, folder, new Uri($"http://127.0.0.1:{grpcPort}"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            Assert.False(nginx._process.HasExited, "nginx exited: " + nginx.ErrorLog);
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, grpcPort);
                return nginx;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The example upstream block's first server line of each upstream, and the one after it.
    [GeneratedRegex(@"    server [0-9.]+:(?<port>50051|8080)(?<rest>[^\n]*;)\n    server [0-9.]+:(50051|8080)[^\n]*;")]
    private static partial Regex UpstreamServers();
}
