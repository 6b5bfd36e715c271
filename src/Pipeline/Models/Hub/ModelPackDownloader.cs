using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>
/// Pulls a model pack (a repository revision, filtered) from the Hugging Face Hub into a folder.
/// </summary>
/// <remarks>
/// Files land first in a staging folder next to the output (<c>&lt;out&gt;.partial/</c>), each as
/// <c>&lt;file&gt;.incomplete</c> until all its bytes have arrived; a dropped connection is resumed with
/// <c>Range: bytes=N-</c> (a server that ignores the range and answers 200 restarts the file). Every file is checked
/// against the listing: size always, SHA-256 for LFS files (the LFS oid), the git blob id otherwise. Only when every
/// file is verified is the staging folder renamed to the output folder, so a folder at the output path is always a
/// complete pack; an interrupted or failed pull leaves only the staging folder, which the next run resumes from.
/// </remarks>
public sealed class ModelPackDownloader
{
    /// <summary>Name of the file, written into the pack, that records what was pulled (repository, revision, commit, hashes).</summary>
    public const string ManifestFileName = ".hub-pull.json";

    /// <summary>Suffix of the staging folder next to the output folder.</summary>
    public const string StagingSuffix = ".partial";

    /// <summary>Suffix of a file whose download has not finished.</summary>
    public const string IncompleteSuffix = ".incomplete";

    private const int BufferSize = 256 * 1024;
    private const long ProgressStep = 1024 * 1024;

    private readonly HubClient _client;

    /// <summary>Creates a downloader over a Hub client.</summary>
    public ModelPackDownloader(HubClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>The staging folder used for an output folder.</summary>
    public static string GetStagingDirectory(string outputDirectory)
        => NormalizeDirectory(outputDirectory) + StagingSuffix;

    /// <summary>Downloads, verifies and publishes the pack described by <paramref name="options"/>.</summary>
    /// <exception cref="HubException">Anything the Hub refuses, a network failure that outlasts the retries, or a file that fails verification.</exception>
    public async Task<PullResult> PullAsync(PullOptions options, IProgress<PullProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        HubClient.ValidateRepositoryId(options.Repository);
        if (string.IsNullOrWhiteSpace(options.Revision))
        {
            throw new HubException(HubErrorKind.InvalidArgument, "revision must not be empty");
        }

        var output = NormalizeDirectory(options.OutputDirectory);
        var staging = output + StagingSuffix;

        var listing = await _client.ListFilesAsync(options.Repository, options.Revision, cancellationToken).ConfigureAwait(false);
        var files = HubFileFilter.Select(listing, options);
        if (files.Count == 0)
        {
            throw new HubException(
                HubErrorKind.NoMatchingFiles,
                $"none of the {listing.Count} files of '{options.Repository}' at '{options.Revision}' match the filter " +
                $"(include: {Describe(options.Include)}; exclude: {Describe(options.EffectiveExclude)})");
        }

        var totalBytes = files.Sum(f => f.Size);
        if (File.Exists(output))
        {
            throw new HubException(HubErrorKind.OutputExists, $"output path '{output}' is a file");
        }

        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
        {
            if (ManifestMatches(output, options.Repository, files))
            {
                return new PullResult(output, options.Repository, options.Revision, ReadManifestCommit(output), files, totalBytes, 0, 0, 0, AlreadyUpToDate: true);
            }

            if (!options.Overwrite)
            {
                throw new HubException(HubErrorKind.OutputExists, $"output folder '{output}' already exists and holds a different pack: choose another --out or pass --force to replace it");
            }
        }

        Directory.CreateDirectory(staging);
        string? commit = null;
        long downloaded = 0;
        var verified = 0;
        var reused = 0;
        for (var i = 0; i < files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = files[i];
            var target = Path.Combine(staging, entry.Path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);

            if (File.Exists(target))
            {
                // Completed by an earlier run: re-check it rather than trust it, the staging folder is not ours alone.
                var previous = await VerifyAsync(entry, target, i, files.Count, progress, cancellationToken).ConfigureAwait(false);
                if (previous.Ok)
                {
                    reused++;
                    verified += previous.Hashed ? 1 : 0;
                    progress?.Report(new PullProgress(entry.Path, entry.Size, entry.Size, i, files.Count, PullFileState.Reused));
                    continue;
                }

                File.Delete(target);
            }

            var incomplete = target + IncompleteSuffix;
            var (received, fileCommit) = await DownloadAsync(options, entry, incomplete, i, files.Count, progress, cancellationToken).ConfigureAwait(false);
            downloaded += received;
            commit ??= fileCommit;

            var check = await VerifyAsync(entry, incomplete, i, files.Count, progress, cancellationToken).ConfigureAwait(false);
            if (!check.Ok)
            {
                File.Delete(incomplete);
                throw new HubException(HubErrorKind.IntegrityMismatch, check.Message, url: _client.GetResolveUri(options.Repository, options.Revision, entry.Path));
            }

            File.Move(incomplete, target, overwrite: true);
            verified += check.Hashed ? 1 : 0;
            progress?.Report(new PullProgress(entry.Path, entry.Size, entry.Size, i, files.Count, PullFileState.Done));
        }

        WriteManifest(staging, options, commit, files);
        RemoveStrays(staging, files);
        Publish(staging, output);
        return new PullResult(output, options.Repository, options.Revision, commit, files, totalBytes, downloaded, verified, reused, AlreadyUpToDate: false);
    }

    private async Task<(long Received, string? Commit)> DownloadAsync(
        PullOptions options, HubFileEntry entry, string incomplete, int index, int count, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        var url = _client.GetResolveUri(options.Repository, options.Revision, entry.Path);
        long received = 0;
        string? commit = null;
        var failures = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                if (have > entry.Size)
                {
                    File.Delete(incomplete);
                    have = 0;
                }

                if (have == entry.Size && (have > 0 || File.Exists(incomplete)))
                {
                    return (received, commit);
                }

                progress?.Report(new PullProgress(entry.Path, have, entry.Size, index, count, PullFileState.Downloading));
                Exception? transient;
                var writing = false;
                try
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    idle.CancelAfter(options.ReadTimeout);
                    using var response = await _client.GetFileAsync(options.Repository, options.Revision, entry.Path, have, idle.Token).ConfigureAwait(false);
                    if (commit is null && response.Headers.TryGetValues("X-Repo-Commit", out var commits))
                    {
                        commit = commits.FirstOrDefault();
                    }

                    if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                    {
                        // What we hold does not fit the remote file any more: start over.
                        File.Delete(incomplete);
                        throw new IOException($"server refused to resume at byte {have} (HTTP 416)");
                    }

                    var append = false;
                    if (response.StatusCode == HttpStatusCode.PartialContent)
                    {
                        var from = response.Content.Headers.ContentRange?.From ?? 0;
                        if (from != have)
                        {
                            File.Delete(incomplete);
                            throw new IOException($"server resumed at byte {from}, asked for {have}");
                        }

                        append = have > 0;
                    }

                    // A plain 200 to a Range request means the server ignored the range: the body is the whole file.
                    long position = append ? have : 0;
                    await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
                    var file = new FileStream(incomplete, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                    await using (file.ConfigureAwait(false))
                    {
                        var lastReport = position;
                        while (true)
                        {
                            idle.CancelAfter(options.ReadTimeout);
                            var n = await body.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token).ConfigureAwait(false);
                            if (n == 0)
                            {
                                break;
                            }

                            writing = true;
                            await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                            writing = false;
                            position += n;
                            received += n;
                            if (position - lastReport >= ProgressStep)
                            {
                                lastReport = position;
                                progress?.Report(new PullProgress(entry.Path, Math.Min(position, entry.Size), entry.Size, index, count, PullFileState.Downloading));
                            }
                        }

                        writing = true;
                        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                        writing = false;
                    }

                    if (position == entry.Size)
                    {
                        progress?.Report(new PullProgress(entry.Path, position, entry.Size, index, count, PullFileState.Downloading));
                        return (received, commit);
                    }

                    if (position > entry.Size)
                    {
                        File.Delete(incomplete);
                        throw new HubException(HubErrorKind.IntegrityMismatch, $"'{entry.Path}': the server sent {position} bytes but the listing says {entry.Size}; the bad download was deleted", response.StatusCode, url);
                    }

                    transient = new IOException($"connection closed after {position} of {entry.Size} bytes");
                }
                catch (HubException ex) when (ex.Kind == HubErrorKind.Network || (ex.Kind == HubErrorKind.Http && ex.StatusCode is { } s && ((int)s >= 500 || (int)s == 429)))
                {
                    transient = ex;
                }
                catch (IOException ex) when (!writing)
                {
                    transient = ex;
                }
                catch (HttpRequestException ex)
                {
                    transient = ex;
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    transient = new IOException($"no data for {options.ReadTimeout.TotalSeconds:0} s", ex);
                }

                failures++;
                if (failures > options.MaxRetries)
                {
                    var status = (transient as HubException)?.StatusCode;
                    throw new HubException(HubErrorKind.Network, $"download of '{entry.Path}' from {url} failed after {failures} attempts: {transient.Message}", status, url, transient);
                }

                await Task.Delay(options.RetryDelay * failures, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<(bool Ok, bool Hashed, string Message)> VerifyAsync(
        HubFileEntry entry, string path, int index, int count, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;
        if (length != entry.Size)
        {
            return (false, false, $"'{entry.Path}' has {length} bytes but the Hub lists {entry.Size}; the bad download was deleted");
        }

        HashAlgorithmName algorithm;
        string expected;
        string label;
        if (entry.LfsSha256 is { } sha256)
        {
            algorithm = HashAlgorithmName.SHA256;
            expected = sha256;
            label = "SHA-256";
        }
        else if (entry.GitOid is { Length: 40 } oid && oid.All(char.IsAsciiHexDigit))
        {
            algorithm = HashAlgorithmName.SHA1;
            expected = oid;
            label = "git blob id";
        }
        else
        {
            return (true, false, string.Empty);
        }

        progress?.Report(new PullProgress(entry.Path, 0, entry.Size, index, count, PullFileState.Verifying));
        var actual = await ComputeHashAsync(path, algorithm, gitBlob: algorithm == HashAlgorithmName.SHA1, length, cancellationToken).ConfigureAwait(false);
        progress?.Report(new PullProgress(entry.Path, entry.Size, entry.Size, index, count, PullFileState.Verifying));
        return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase)
            ? (true, true, string.Empty)
            : (false, true, $"'{entry.Path}' failed verification: expected {label} {expected}, got {actual}; the bad download was deleted");
    }

    /// <summary>Hex hash of a file; for a git blob id the content is prefixed with <c>blob &lt;size&gt;\0</c> as git does.</summary>
    internal static async Task<string> ComputeHashAsync(string path, HashAlgorithmName algorithm, bool gitBlob, long length, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(algorithm);
        if (gitBlob)
        {
            hash.AppendData(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"blob {length}\0")));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                int n;
                while ((n = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void WriteManifest(string staging, PullOptions options, string? commit, IReadOnlyList<HubFileEntry> files)
    {
        using var stream = File.Create(Path.Combine(staging, ManifestFileName));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("repository", options.Repository);
        json.WriteString("revision", options.Revision);
        json.WriteString("commit", commit);
        json.WriteStartArray("files");
        foreach (var f in files)
        {
            json.WriteStartObject();
            json.WriteString("path", f.Path);
            json.WriteNumber("size", f.Size);
            json.WriteString("oid", f.GitOid);
            json.WriteString("sha256", f.LfsSha256);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static bool ManifestMatches(string output, string repository, IReadOnlyList<HubFileEntry> files)
    {
        try
        {
            var path = Path.Combine(output, ManifestFileName);
            if (!File.Exists(path))
            {
                return false;
            }

            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (!string.Equals(root.GetProperty("repository").GetString(), repository, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var recorded = root.GetProperty("files").EnumerateArray()
                .Select(e => new HubFileEntry(
                    e.GetProperty("path").GetString()!,
                    e.GetProperty("size").GetInt64(),
                    e.GetProperty("oid").GetString(),
                    e.GetProperty("sha256").GetString()))
                .ToHashSet();

            // The pack must still be on disk as recorded (sizes only: hashing a multi-GB pack on every re-run is too slow).
            return recorded.SetEquals(files)
                && files.All(f => new FileInfo(Path.Combine(output, f.Path.Replace('/', Path.DirectorySeparatorChar))) is { Exists: true } fi && fi.Length == f.Size);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    private static string? ReadManifestCommit(string output)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, ManifestFileName)));
        return doc.RootElement.TryGetProperty("commit", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
    }

    /// <summary>Files left in staging by an earlier run with another filter must not end up in the pack.</summary>
    private static void RemoveStrays(string staging, IReadOnlyList<HubFileEntry> files)
    {
        var keep = files.Select(f => Path.GetFullPath(Path.Combine(staging, f.Path.Replace('/', Path.DirectorySeparatorChar))))
            .Append(Path.GetFullPath(Path.Combine(staging, ManifestFileName)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).ToList())
        {
            if (!keep.Contains(Path.GetFullPath(file)))
            {
                File.Delete(file);
            }
        }

        foreach (var dir in Directory.EnumerateDirectories(staging, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).ToList())
        {
            if (!Directory.EnumerateFileSystemEntries(dir).Any())
            {
                Directory.Delete(dir);
            }
        }
    }

    /// <summary>Moves the verified staging folder into place with renames, so the output never holds half a pack.</summary>
    private static void Publish(string staging, string output)
    {
        var parent = Path.GetDirectoryName(output);
        if (!string.IsNullOrEmpty(parent))
        {
            Directory.CreateDirectory(parent);
        }

        if (Directory.Exists(output))
        {
            if (!Directory.EnumerateFileSystemEntries(output).Any())
            {
                Directory.Delete(output);
            }
            else
            {
                var old = output + ".old-" + Guid.NewGuid().ToString("N")[..8];
                Directory.Move(output, old);
                Directory.Move(staging, output);
                Directory.Delete(old, recursive: true);
                return;
            }
        }

        Directory.Move(staging, output);
    }

    private static string NormalizeDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
    }

    private static string Describe(IReadOnlyList<string> patterns)
        => patterns.Count == 0 ? "(none)" : string.Join(", ", patterns);
}
