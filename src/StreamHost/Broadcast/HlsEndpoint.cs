using Microsoft.AspNetCore.Http;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// <c>GET /broadcasts/{key}/hls/{file}</c>: the HLS playlist (<c>index.m3u8</c>) and segments of the key's live
/// broadcast, read from its session's folder; <c>GET /broadcasts/{key}/player</c>: a minimal page playing it with
/// the browser's own HLS support. Only the names the segmenter writes are served (no path reaches outside the
/// folder); 404 when the key is not on air, HLS is off, or the file is gone (a segment deleted as the playlist rolled).
/// </summary>
public static class HlsEndpoint
{
    /// <summary>Relative URL of a key's playlist.</summary>
    public static string PlaylistPath(string key) => $"/broadcasts/{Uri.EscapeDataString(key)}/hls/{HlsSegmenter.PlaylistName}";

    /// <summary>Serves one file of the key's HLS output.</summary>
    public static async Task ServeFileAsync(string key, string file, HttpContext http, BroadcastServer server)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(server);
        if (!HlsSegmenter.IsServedName(file) || !server.TryGetLive(key, out var live) || live.HlsFolder is not { } folder)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        FileStream stream;
        try
        {
            // Opened before the status is set: once open, the file stays readable even if the segmenter deletes it.
            stream = new FileStream(Path.Combine(folder, file), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await using (stream.ConfigureAwait(false))
        {
            var response = http.Response;
            response.ContentType = file == HlsSegmenter.PlaylistName ? "application/vnd.apple.mpegurl" : "video/mp2t";

            // The playlist changes every segment; segment names are never reused, but a player must not keep them either.
            response.Headers.CacheControl = "no-cache";
            response.Headers.AccessControlAllowOrigin = "*";
            response.ContentLength = stream.Length;
            await stream.CopyToAsync(response.Body, http.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>A page with one video element on the key's playlist.</summary>
    public static IResult Player(string key)
    {
        var playlist = System.Net.WebUtility.HtmlEncode(PlaylistPath(key));
        var title = System.Net.WebUtility.HtmlEncode(key);
        return Results.Content($$"""
            <!doctype html>
            <html lang="en">
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} · HLS</title>
            <style>body{margin:0;background:#111;color:#ddd;font:14px system-ui}video{width:100%;max-height:90vh;background:#000}p{padding:0 1em}</style>
            <video id="v" src="{{playlist}}" controls autoplay muted playsinline></video>
            <p id="note">HLS of broadcast <b>{{title}}</b>: <a href="{{playlist}}">{{playlist}}</a></p>
            <script>
            const v = document.getElementById("v");
            if (!v.canPlayType("application/vnd.apple.mpegurl")) {
              document.getElementById("note").append(" — this browser has no native HLS; open the playlist in Safari, VLC, ffplay, or a page with hls.js (docs/broadcasting.md).");
            }
            </script>
            </html>
            """, "text/html; charset=utf-8");
    }
}
