using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// <c>/sessions</c>: the running Stream sessions as JSON, so a user can find the id for an MJPEG source:
/// <c>{"active":1,"max_sessions":4,"sessions":[{"id":..., "transport":"grpc", "model":..., "mode":"img2img",
/// "width":512, "height":512, "fps":9.8, "frames":1234, "viewers":1, "started_at":..., "uptime_seconds":...,
/// "mjpeg_url":"/sessions/{id}/mjpeg"}]}</c> (with auth on, a signed <c>?expires=..&amp;sig=..</c> URL). Unary Generate
/// calls count in <c>active</c> but are not listed. With auth on, a key lists only the sessions it started (and
/// broadcast ingest, which has no key); an admin key lists all. <c>active</c> is the host's count either way.
/// </summary>
public static class SessionsEndpoint
{
    /// <summary>Writes the list.</summary>
    public static async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var live = http.RequestServices.GetRequiredService<LiveSessions>();
        var registry = http.RequestServices.GetRequiredService<SessionRegistry>();

        // Registered when auth is on: viewers such as OBS cannot send a key, so they get a short-lived signed URL.
        var signer = http.RequestServices.GetService<Security.MjpegUrlSigner>();
        var now = DateTimeOffset.UtcNow;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(http.Response.Body, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("active", registry.ActiveCount);
        json.WriteNumber("max_sessions", registry.MaxSessions);
        json.WriteBoolean("draining", registry.IsDraining);
        json.WriteStartArray("sessions");
        foreach (var s in live.SnapshotFor(Security.ClientIdentity.Of(http)))
        {
            json.WriteStartObject();
            json.WriteString("id", s.Id);
            json.WriteString("transport", s.Transport);
            json.WriteString("peer", s.Peer);
            json.WriteString("model", s.Model);
            json.WriteString("mode", WebSocketJson.ShortName(s.Mode, "GENERATION_MODE_"));
            json.WriteNumber("width", s.Width);
            json.WriteNumber("height", s.Height);
            json.WriteNumber("fps", Math.Round(s.Fps, 2));
            json.WriteNumber("frames", s.FramesOut);
            json.WriteNumber("viewers", s.Frames.Viewers);
            json.WriteString("started_at", s.StartedAt);
            json.WriteNumber("uptime_seconds", Math.Round((now - s.StartedAt).TotalSeconds, 1));
            json.WriteString("mjpeg_url", signer?.Sign(WebEndpoints.MjpegPath(s.Id)) ?? WebEndpoints.MjpegPath(s.Id));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
