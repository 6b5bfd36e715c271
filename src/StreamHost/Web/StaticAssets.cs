using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// The web page's files, embedded in the host assembly (Web/Assets/*, logical names "web/{file}"), so the host
/// serves them from a single-file or containerised deployment without a wwwroot folder or a front-end build.
/// </summary>
public static class StaticAssets
{
    private const string Prefix = "web/";

    private static readonly FrozenDictionary<string, Asset> s_assets = Load();

    /// <summary>File names available (e.g. "index.html", "app.js").</summary>
    public static IEnumerable<string> Names => s_assets.Keys;

    /// <summary>Serves one embedded file, answering If-None-Match with 304.</summary>
    public static async Task ServeAsync(HttpContext http, string name)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!s_assets.TryGetValue(name, out var asset))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var response = http.Response;
        response.Headers.ETag = asset.ETag;

        // Revalidate every time: the page must not outlive an upgrade of the host it talks to.
        response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
        await response.Body.WriteAsync(asset.Content, http.RequestAborted).ConfigureAwait(false);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(StaticAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var name = resource[Prefix.Length..];
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8)) + "\"";
            assets[name] = new Asset(content, ContentType(name), etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
