using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StreamDiffusion.Pipeline.Tests.Hub;

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 that serves one repository in the Hugging Face Hub URL layout:
/// <c>/api/models/{repo}/tree/{rev}?recursive=true</c> (optionally paginated with a Link header),
/// <c>/{repo}/resolve/{rev}/{path}</c> (LFS files redirect to a "CDN" on another host name, <c>localhost</c>),
/// Range requests, gated access, and fault injection (corrupted content, a connection dropped mid-file, errors).
/// One request per connection (Connection: close) keeps it simple and makes a dropped connection unambiguous.
/// </summary>
internal sealed class FakeHubServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly Dictionary<string, byte[]> _files;
    private readonly Dictionary<string, byte[]> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _dropAfter = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failStatus = new(StringComparer.Ordinal);

    public FakeHubServer(string repository, IReadOnlyDictionary<string, byte[]> files, string revision = "main")
    {
        Repository = repository;
        Revision = revision;
        _files = files.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public string Repository { get; }

    public string Revision { get; }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    public string CommitSha { get; } = "0123456789abcdef0123456789abcdef01234567";

    /// <summary>When set, every request to the Hub host needs <c>Authorization: Bearer</c> with this token (401 without, 403 wrong).</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, the tree listing is split into pages of this many entries, chained by a Link header.</summary>
    public int? PageSize { get; set; }

    /// <summary>Answer Range requests with a plain 200 and the whole file, as some servers do.</summary>
    public bool IgnoreRange { get; set; }

    /// <summary>File extensions stored through LFS (the rest are listed as plain git blobs).</summary>
    public HashSet<string> LfsExtensions { get; } = new(StringComparer.OrdinalIgnoreCase) { ".onnx", ".onnx_data", ".safetensors", ".bin", ".pb" };

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Builds a server over a folder on disk (every file, paths relative to the folder).</summary>
    public static FakeHubServer FromDirectory(string repository, string directory)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetRelativePath(directory, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes, StringComparer.Ordinal);
        return new FakeHubServer(repository, files);
    }

    public bool IsLfs(string path) => LfsExtensions.Contains(Path.GetExtension(path));

    /// <summary>Serve different bytes for <paramref name="path"/> than the listing's hashes describe (same size).</summary>
    public byte[] Corrupt(string path)
    {
        var bad = (byte[])_files[path].Clone();
        bad[bad.Length / 2] ^= 0x5A;
        lock (_served)
        {
            _served[path] = bad;
        }

        return bad;
    }

    /// <summary>The next download of <paramref name="path"/> sends full headers but closes the connection after <paramref name="bytes"/> body bytes.</summary>
    public void DropOnce(string path, int bytes) => _dropAfter[path] = bytes;

    /// <summary>Every download of <paramref name="path"/> fails with <paramref name="status"/> until <see cref="Heal"/>.</summary>
    public void Fail(string path, int status) => _failStatus[path] = status;

    public void Heal(string path) => _failStatus.TryRemove(path, out _);

    public static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string GitBlobOid(byte[] data)
    {
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {data.Length}\0"));
#pragma warning disable CA5350 // git object ids are SHA-1 by definition; this is an identifier, not a security check.
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. data]));
#pragma warning restore CA5350
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null)
                {
                    return;
                }

                var lines = head.Split("\r\n");
                var target = lines[0].Split(' ')[1];
                var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                    .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);
                headers.TryGetValue("Host", out var host);
                headers.TryGetValue("Range", out var range);
                headers.TryGetValue("Authorization", out var auth);
                Requests.Enqueue(new RecordedRequest(target, host ?? string.Empty, range, auth));
                await RouteAsync(stream, target, host ?? string.Empty, range, auth);
            }
            catch (IOException)
            {
                // The client went away; nothing to answer.
            }
        }
    }

    private async Task RouteAsync(NetworkStream stream, string target, string host, string? range, string? auth)
    {
        var query = target.Contains('?', StringComparison.Ordinal) ? target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty;
        var path = Uri.UnescapeDataString(target.Split('?')[0]);

        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            // The CDN serves by content hash and needs no token, like the Hub's LFS storage behind signed URLs.
            var sha = path["/cdn/".Length..];
            var file = _files.Keys.FirstOrDefault(k => IsLfs(k) && Sha256Hex(_files[k]) == sha);
            if (file is null)
            {
                await WriteAsync(stream, 404, "Not Found", [], "not found"u8.ToArray());
                return;
            }

            await ServeFileAsync(stream, file, range);
            return;
        }

        if (RequiredToken is not null && auth != "Bearer " + RequiredToken)
        {
            var status = auth is null ? 401 : 403;
            await WriteAsync(stream, status, status == 401 ? "Unauthorized" : "Forbidden", [("X-Error-Code", "GatedRepo"), ("X-Error-Message", "Access to this repository is restricted.")], "{\"error\":\"gated\"}"u8.ToArray());
            return;
        }

        var treePrefix = "/api/models/";
        if (path.StartsWith(treePrefix, StringComparison.Ordinal) && path.Contains("/tree/", StringComparison.Ordinal))
        {
            var rest = path[treePrefix.Length..];
            var repo = rest[..rest.IndexOf("/tree/", StringComparison.Ordinal)];
            var rev = rest[(rest.IndexOf("/tree/", StringComparison.Ordinal) + "/tree/".Length)..];
            if (await CheckRepoAsync(stream, repo, rev))
            {
                await ServeTreeAsync(stream, query);
            }

            return;
        }

        var resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve > 0)
        {
            var repo = path[1..resolve];
            var rest = path[(resolve + "/resolve/".Length)..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var rev = rest[..slash];
            var file = rest[(slash + 1)..];
            if (!await CheckRepoAsync(stream, repo, rev))
            {
                return;
            }

            if (!_files.ContainsKey(file))
            {
                await WriteAsync(stream, 404, "Not Found", [("X-Error-Code", "EntryNotFound")], "entry not found"u8.ToArray());
                return;
            }

            if (_failStatus.TryGetValue(file, out var failure))
            {
                await WriteAsync(stream, failure, "Injected Failure", [], "injected"u8.ToArray());
                return;
            }

            if (IsLfs(file))
            {
                var location = $"http://localhost:{Port}/cdn/{Sha256Hex(_files[file])}";
                await WriteAsync(stream, 302, "Found", [("Location", location), ("X-Repo-Commit", CommitSha)], []);
                return;
            }

            await ServeFileAsync(stream, file, range);
            return;
        }

        await WriteAsync(stream, 404, "Not Found", [], "no route"u8.ToArray());
    }

    private async Task<bool> CheckRepoAsync(NetworkStream stream, string repo, string rev)
    {
        if (repo != Repository)
        {
            await WriteAsync(stream, 404, "Not Found", [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Repository not found")], "{\"error\":\"Repository not found\"}"u8.ToArray());
            return false;
        }

        if (rev != Revision && rev != CommitSha)
        {
            await WriteAsync(stream, 404, "Not Found", [("X-Error-Code", "RevisionNotFound"), ("X-Error-Message", "Invalid rev id: " + rev)], "{\"error\":\"Invalid rev id\"}"u8.ToArray());
            return false;
        }

        return true;
    }

    private async Task ServeTreeAsync(NetworkStream stream, string query)
    {
        var entries = new List<object>();
        var dirs = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in _files.Keys)
        {
            for (var i = path.IndexOf('/', StringComparison.Ordinal); i > 0; i = path.IndexOf('/', i + 1))
            {
                dirs.Add(path[..i]);
            }
        }

        foreach (var dir in dirs)
        {
            entries.Add(new Dictionary<string, object> { ["type"] = "directory", ["oid"] = new string('d', 40), ["size"] = 0, ["path"] = dir });
        }

        foreach (var (path, data) in _files)
        {
            if (IsLfs(path))
            {
                var sha = Sha256Hex(data);
                var pointer = Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {data.Length}\n");
                entries.Add(new Dictionary<string, object>
                {
                    ["type"] = "file",
                    ["oid"] = GitBlobOid(pointer),
                    ["size"] = data.Length,
                    ["path"] = path,
                    ["lfs"] = new Dictionary<string, object> { ["oid"] = sha, ["size"] = data.Length, ["pointerSize"] = pointer.Length },
                });
            }
            else
            {
                entries.Add(new Dictionary<string, object> { ["type"] = "file", ["oid"] = GitBlobOid(data), ["size"] = data.Length, ["path"] = path });
            }
        }

        var start = 0;
        foreach (var pair in query.Split('&'))
        {
            if (pair.StartsWith("cursor=", StringComparison.Ordinal))
            {
                start = int.Parse(pair["cursor=".Length..], CultureInfo.InvariantCulture);
            }
        }

        var extra = new List<(string, string)>();
        var page = entries;
        if (PageSize is { } size)
        {
            page = entries.Skip(start).Take(size).ToList();
            if (start + size < entries.Count)
            {
                var next = $"http://127.0.0.1:{Port}/api/models/{Repository}/tree/{Revision}?recursive=true&cursor={start + size}";
                extra.Add(("Link", $"<{next}>; rel=\"next\""));
            }
        }

        await WriteAsync(stream, 200, "OK", [("Content-Type", "application/json"), .. extra], JsonSerializer.SerializeToUtf8Bytes(page));
    }

    private async Task ServeFileAsync(NetworkStream stream, string file, string? range)
    {
        byte[] data;
        lock (_served)
        {
            data = _served.TryGetValue(file, out var bad) ? bad : _files[file];
        }

        long from = 0;
        if (range is not null && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
        }

        List<(string, string)> headers = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes"), ("X-Repo-Commit", CommitSha)];
        if (from >= data.Length && data.Length > 0)
        {
            await WriteAsync(stream, 416, "Range Not Satisfiable", [("Content-Range", $"bytes */{data.Length}")], []);
            return;
        }

        var body = data.AsMemory((int)from);
        if (from > 0)
        {
            headers.Add(("Content-Range", $"bytes {from}-{data.Length - 1}/{data.Length}"));
        }

        if (_dropAfter.TryRemove(file, out var dropAfter) && dropAfter < body.Length)
        {
            // Promise the whole body, deliver part of it, hang up.
            await WriteHeadAsync(stream, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", headers, body.Length);
            await stream.WriteAsync(body[..dropAfter]);
            await stream.FlushAsync();
            return;
        }

        await WriteHeadAsync(stream, from > 0 ? 206 : 200, from > 0 ? "Partial Content" : "OK", headers, body.Length);
        await stream.WriteAsync(body);
    }

    private static async Task WriteAsync(NetworkStream stream, int status, string reason, IEnumerable<(string Name, string Value)> headers, byte[] body)
    {
        await WriteHeadAsync(stream, status, reason, headers, body.Length);
        await stream.WriteAsync(body);
    }

    private static async Task WriteHeadAsync(NetworkStream stream, int status, string reason, IEnumerable<(string Name, string Value)> headers, long contentLength)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n");
        foreach (var (name, value) in headers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"Content-Length: {contentLength}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()));
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>(1024);
        var one = new byte[1];
        while (buffer.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            buffer.Add(one[0]);
            var n = buffer.Count;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n')
            {
                return Encoding.ASCII.GetString(buffer.ToArray(), 0, n - 4);
            }
        }

        return null;
    }
}
