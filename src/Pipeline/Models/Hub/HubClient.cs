using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>
/// A small client for the parts of the Hugging Face Hub HTTP API a pull needs: the recursive tree listing
/// (<c>/api/models/{repo}/tree/{revision}</c>, paginated with a GitHub-style <c>Link</c> header) and file
/// downloads through <c>/{repo}/resolve/{revision}/{path}</c> (redirected to a CDN for LFS files).
/// Every failure surfaces as a <see cref="HubException"/> naming what was asked for.
/// </summary>
public sealed class HubClient : IDisposable
{
    /// <summary>The public Hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    private const int MaxRedirects = 10;
    private const int MaxPages = 10_000;

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _token;

    /// <summary>Creates a client with its own HTTP stack (redirects are followed by the client itself).</summary>
    /// <param name="endpoint">Hub base URL, e.g. <c>https://huggingface.co</c> or a mirror.</param>
    /// <param name="token">Access token sent as <c>Authorization: Bearer</c> to the Hub's own host; null for anonymous.</param>
    public HubClient(Uri endpoint, string? token = null)
        : this(CreateHttpClient(), endpoint, token, ownsHttp: true)
    {
    }

    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/> (not disposed by this client).</summary>
    public HubClient(HttpClient httpClient, Uri endpoint, string? token = null)
        : this(httpClient, endpoint, token, ownsHttp: false)
    {
    }

    private HubClient(HttpClient http, Uri endpoint, string? token, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new HubException(HubErrorKind.InvalidArgument, $"Hub endpoint '{endpoint}' is not an absolute http(s) URL");
        }

        _http = http;
        _ownsHttp = ownsHttp;
        _token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        Endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
    }

    /// <summary>The Hub base URL (always ending in '/').</summary>
    public Uri Endpoint { get; }

    /// <summary>True when a token will be sent.</summary>
    public bool HasToken => _token is not null;

    /// <summary>The endpoint to use: the explicit one, else <c>HF_ENDPOINT</c>, else <see cref="DefaultEndpoint"/>.</summary>
    public static Uri ResolveEndpoint(string? explicitEndpoint = null)
    {
        var text = !string.IsNullOrWhiteSpace(explicitEndpoint) ? explicitEndpoint
            : Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } env ? env
            : DefaultEndpoint;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri))
        {
            throw new HubException(HubErrorKind.InvalidArgument, $"Hub endpoint '{text}' is not an absolute URL");
        }

        return uri;
    }

    /// <summary>The token to use: the explicit one, else <c>HF_TOKEN</c> (or the older <c>HUGGING_FACE_HUB_TOKEN</c>), else none.</summary>
    public static string? ResolveToken(string? explicitToken = null)
    {
        foreach (var candidate in new[] { explicitToken, Environment.GetEnvironmentVariable("HF_TOKEN"), Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN") })
        {
            if (!string.IsNullOrWhiteSpace(candidate))
            {
                return candidate.Trim();
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="HubException"/> (InvalidArgument) unless <paramref name="repository"/> looks like <c>owner/name</c>.</summary>
    public static void ValidateRepositoryId(string repository)
    {
        var parts = (repository ?? string.Empty).Split('/');
        var ok = repository is { Length: > 0 and <= 200 } && parts.Length <= 2
            && parts.All(p => p.Length > 0 && p != "." && p != ".." && !p.Contains("..", StringComparison.Ordinal)
                && p.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'));
        if (!ok)
        {
            throw new HubException(HubErrorKind.InvalidArgument, $"'{repository}' is not a Hub repository id (expected owner/name, e.g. stabilityai/sd-turbo)");
        }
    }

    /// <summary>The tree listing URL of a repository revision.</summary>
    public Uri GetTreeUri(string repository, string revision)
        => new(Endpoint, $"api/models/{repository}/tree/{Uri.EscapeDataString(revision)}?recursive=true");

    /// <summary>The download URL of one file.</summary>
    public Uri GetResolveUri(string repository, string revision, string path)
        => new(Endpoint, $"{repository}/resolve/{Uri.EscapeDataString(revision)}/{EscapePath(path)}");

    /// <summary>Lists every file of a repository revision (directories are skipped), following pagination.</summary>
    public async Task<IReadOnlyList<HubFileEntry>> ListFilesAsync(string repository, string revision, CancellationToken cancellationToken = default)
    {
        ValidateRepositoryId(repository);
        ArgumentException.ThrowIfNullOrWhiteSpace(revision);
        var files = new List<HubFileEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Uri? next = GetTreeUri(repository, revision);
        for (var page = 0; next is not null; page++)
        {
            if (page >= MaxPages || !seen.Add(next.AbsoluteUri))
            {
                throw new HubException(HubErrorKind.InvalidResponse, $"tree listing of '{repository}' at '{revision}' does not end (pagination loops at {next})", url: next);
            }

            using var response = await SendAsync(next, rangeStart: 0, repository, revision, path: null, cancellationToken).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var doc = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
                ParseTreePage(doc.RootElement, files, next);
            }
            catch (JsonException ex)
            {
                throw new HubException(HubErrorKind.InvalidResponse, $"tree listing from {next} is not valid JSON: {ex.Message}", response.StatusCode, next, ex);
            }

            next = GetNextPage(response, next);
        }

        return files;
    }

    /// <summary>
    /// Starts downloading a file, from <paramref name="rangeStart"/> when positive (a <c>Range: bytes=N-</c> request,
    /// which the server may ignore with a plain 200). Redirects are followed; the token goes only to the Hub host.
    /// </summary>
    /// <returns>The successful (200 or 206) response, headers read, body not yet consumed. 416 is returned too, for the caller to restart.</returns>
    public Task<HttpResponseMessage> GetFileAsync(string repository, string revision, string path, long rangeStart, CancellationToken cancellationToken = default)
    {
        ValidateRepositoryId(repository);
        return SendAsync(GetResolveUri(repository, revision, path), rangeStart, repository, revision, path, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static HttpClient CreateHttpClient()
    {
        // Redirects are followed by hand so the Range header survives every hop and the token never leaves the
        // Hub's host (LFS files redirect to a CDN with a signed URL). No overall timeout: a multi-GB file
        // legitimately takes long; stalls are caught per read by the downloader.
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
        };
        var http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("StreamDiffusion.Net", "1.0"));
        return http;
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, long rangeStart, string repository, string revision, string? path, CancellationToken cancellationToken)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (rangeStart > 0)
            {
                request.Headers.Range = new RangeHeaderValue(rangeStart, null);
            }

            if (_token is not null && IsHubHost(current))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new HubException(HubErrorKind.Network, $"cannot reach {current}: {ex.Message}", null, current, ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new HubException(HubErrorKind.Network, $"request to {current} timed out", null, current, ex);
            }

            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects)
                {
                    throw new HubException(HubErrorKind.InvalidResponse, $"too many redirects starting at {url}", (HttpStatusCode)status, url);
                }

                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }

            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                return response;
            }

            using (response)
            {
                throw CreateError(response, current, repository, revision, path);
            }
        }
    }

    private bool IsHubHost(Uri uri)
        => Uri.Compare(uri, Endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private HubException CreateError(HttpResponseMessage response, Uri url, string repository, string revision, string? path)
    {
        var status = response.StatusCode;
        var code = FirstHeader(response, "X-Error-Code");
        var serverMessage = FirstHeader(response, "X-Error-Message");
        var suffix = string.IsNullOrWhiteSpace(serverMessage) ? string.Empty : $" ({serverMessage})";
        var numeric = (int)status;
        switch (numeric)
        {
            case 401 or 403:
                var hint = _token is null
                    ? "set HF_TOKEN (or pass --token) to a token that has access"
                    : "the token was refused: check it is valid and that access to the repository was granted on its page";
                var what = code == "RepoNotFound"
                    ? $"repository '{repository}' was not found, or it is gated or private"
                    : $"repository '{repository}' is gated or private";
                return new HubException(HubErrorKind.Unauthorized, $"{what}: {hint} (HTTP {numeric}){suffix}", status, url);
            case 404 when code == "RevisionNotFound":
                return new HubException(HubErrorKind.RevisionNotFound, $"revision '{revision}' not found in repository '{repository}' (HTTP 404){suffix}", status, url);
            case 404 when code == "RepoNotFound":
                return new HubException(HubErrorKind.RepositoryNotFound, $"repository '{repository}' not found (HTTP 404){suffix}", status, url);
            case 404 when path is not null && code == "EntryNotFound":
                return new HubException(HubErrorKind.EntryNotFound, $"file '{path}' not found in repository '{repository}' at revision '{revision}' (HTTP 404){suffix}", status, url);
            case 404 when path is null:
                return new HubException(HubErrorKind.RepositoryNotFound, $"repository '{repository}' or revision '{revision}' not found (HTTP 404){suffix}", status, url);
            case 404:
                return new HubException(HubErrorKind.EntryNotFound, $"file '{path}' of repository '{repository}' at revision '{revision}' not found at {url} (HTTP 404){suffix}", status, url);
            default:
                return new HubException(HubErrorKind.Http, $"Hub request {url} failed with HTTP {numeric} {response.ReasonPhrase}{suffix}", status, url);
        }
    }

    private static string? FirstHeader(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static void ParseTreePage(JsonElement root, List<HubFileEntry> files, Uri url)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new HubException(HubErrorKind.InvalidResponse, $"tree listing from {url} is not a JSON array", url: url);
        }

        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("type", out var type) || type.GetString() != "file")
            {
                continue;
            }

            var path = item.TryGetProperty("path", out var p) ? p.GetString() : null;
            if (!IsSafeRelativePath(path))
            {
                throw new HubException(HubErrorKind.InvalidResponse, $"tree listing from {url} names an unsafe path '{path}'", url: url);
            }

            long size = item.TryGetProperty("size", out var s) && s.TryGetInt64(out var sv) ? sv : -1;
            var oid = item.TryGetProperty("oid", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            string? sha256 = null;
            if (item.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
            {
                // The LFS oid is the SHA-256 of the content (older payloads call it sha256), and its size is the real size.
                sha256 = (lfs.TryGetProperty("oid", out var lo) ? lo.GetString() : null)
                    ?? (lfs.TryGetProperty("sha256", out var ls) ? ls.GetString() : null);
                if (lfs.TryGetProperty("size", out var lsz) && lsz.TryGetInt64(out var lsv))
                {
                    size = lsv;
                }

                if (sha256 is null || sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit))
                {
                    throw new HubException(HubErrorKind.InvalidResponse, $"tree listing from {url} gives '{path}' an LFS oid that is not a SHA-256: '{sha256}'", url: url);
                }

                sha256 = sha256.ToLowerInvariant();
            }

            if (size < 0)
            {
                throw new HubException(HubErrorKind.InvalidResponse, $"tree listing from {url} gives no size for '{path}'", url: url);
            }

            files.Add(new HubFileEntry(path!, size, oid?.ToLowerInvariant(), sha256));
        }
    }

    /// <summary>A path from the server is written to disk: refuse anything that could escape the pack folder.</summary>
    internal static bool IsSafeRelativePath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 1024 || path[0] == '/' || path.Contains('\\', StringComparison.Ordinal)
            || path.Contains(':', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        return path.Split('/').All(seg => seg.Length > 0 && seg != "." && seg != "..");
    }

    private static Uri? GetNextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        // RFC 8288: <url>; rel="next", <url>; rel="last"
        foreach (var header in links)
        {
            foreach (var part in header.Split(','))
            {
                var open = part.IndexOf('<', StringComparison.Ordinal);
                var close = part.IndexOf('>', StringComparison.Ordinal);
                if (open < 0 || close < open)
                {
                    continue;
                }

                var parameters = part[(close + 1)..].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var isNext = parameters.Any(x => x.StartsWith("rel=", StringComparison.OrdinalIgnoreCase)
                    && x[4..].Trim('"').Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase));
                if (isNext)
                {
                    var target = part[(open + 1)..close].Trim();
                    return Uri.TryCreate(current, target, out var uri) ? uri : null;
                }
            }
        }

        return null;
    }

    private static string EscapePath(string path)
        => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
