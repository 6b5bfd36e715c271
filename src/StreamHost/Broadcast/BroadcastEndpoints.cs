using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// The broadcast API on the HTTP port. Bodies are the JSON messages of the WebSocket protocol, so one shape
/// configures every transport:
/// <c>GET /broadcasts</c> lists keys, their configuration and live state;
/// <c>PUT /broadcasts/{key}</c> with a SessionConfig creates or replaces a key (used by its next broadcast);
/// <c>POST /broadcasts/{key}/control</c> with a ControlUpdate changes prompt and parameters, live if it is on air;
/// <c>DELETE /broadcasts/{key}</c> removes a key and ends its broadcast;
/// <c>GET /broadcasts/{key}/hls/index.m3u8</c> (and its segments) and <c>GET /broadcasts/{key}/player</c> play the
/// live output in a browser (<see cref="HlsEndpoint"/>).
/// Errors are 400 (bad JSON or values, with the field and reason), 404 (unknown key), 429 (too many live changes queued).
/// </summary>
public static class BroadcastEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly JsonFormatter s_formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    /// <summary>Registers the broadcast server, its options and metrics.</summary>
    public static IServiceCollection AddStreamHostBroadcast(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<BroadcastOptions>(configuration.GetSection(BroadcastOptions.SectionName));
        services.AddSingleton<BroadcastMetrics>();
        services.AddSingleton<BroadcastServer>();
        services.AddHostedService(sp => sp.GetRequiredService<BroadcastServer>());
        return services;
    }

    /// <summary>Maps the <c>/broadcasts</c> endpoints.</summary>
    public static WebApplication MapStreamHostBroadcast(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/broadcasts", ListAsync);
        app.MapPut("/broadcasts/{key}", PutAsync);
        app.MapPost("/broadcasts/{key}/control", ControlAsync);
        app.MapDelete("/broadcasts/{key}", (string key, BroadcastServer server) =>
            server.Delete(key) ? Results.NoContent() : Problem(StatusCodes.Status404NotFound, $"no stream key '{key}'"));
        app.MapGet("/broadcasts/{key}/hls/{file}", HlsEndpoint.ServeFileAsync);
        app.MapGet("/broadcasts/{key}/player", HlsEndpoint.Player);
        return app;
    }

    private static async Task ListAsync(HttpContext http, BroadcastServer server)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(http.Response.Body, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteBoolean("enabled", server.Enabled);
        json.WriteNumber("srt_port", server.SrtPort);
        json.WriteNumber("rtmp_port", server.RtmpPort);
        json.WriteNumber("srt_output_port", server.SrtOutputPort);
        json.WriteStartArray("broadcasts");
        foreach (var (key, config) in server.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WritePropertyName("config");
            json.WriteRawValue(s_formatter.Format(config));
            json.WriteString("ingest_url", $"srt://{http.Request.Host.Host}:{server.SrtPort}?streamid={key}");
            json.WriteString("rtmp_url", $"rtmp://{http.Request.Host.Host}:{server.RtmpPort}/live/{key}");
            json.WriteString("output_url", $"srt://{http.Request.Host.Host}:{server.SrtOutputPort}?streamid={key}");
            if (server.LastOutcome(key) is { } outcome)
            {
                json.WriteString("last_outcome", outcome);
            }

            if (server.TryGetLive(key, out var live))
            {
                json.WriteStartObject("live");
                json.WriteString("transport", live.Transport);
                json.WriteString("peer", live.Peer);
                if (live.SessionId is { } id)
                {
                    json.WriteString("session_id", id);
                    json.WriteString("mjpeg_url", WebEndpoints.MjpegPath(id));
                }

                if (live.HlsFolder is not null)
                {
                    json.WriteString("hls_url", HlsEndpoint.PlaylistPath(key));
                    json.WriteString("player_url", $"/broadcasts/{Uri.EscapeDataString(key)}/player");
                }

                json.WriteNumber("frames_in", live.FramesIn);
                json.WriteNumber("frames_out", live.FramesOut);
                json.WriteNumber("frames_dropped", live.FramesDropped);
                json.WriteNumber("viewers", live.Viewers);
                if (live.IngestPid is { } remuxer)
                {
                    json.WriteNumber("remuxer_pid", remuxer);
                }

                if (live.DecoderPid is { } decoder)
                {
                    json.WriteNumber("decoder_pid", decoder);
                }

                if (live.EncoderPid is { } encoder)
                {
                    json.WriteNumber("encoder_pid", encoder);
                }

                if (live.HlsPid is { } segmenter)
                {
                    json.WriteNumber("hls_pid", segmenter);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<IResult> PutAsync(string key, HttpContext http, BroadcastServer server)
    {
        if (BroadcastServer.CheckKey(key) is { } badKey)
        {
            return Problem(StatusCodes.Status400BadRequest, badKey);
        }

        var body = await ReadBodyAsync(http).ConfigureAwait(false);
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, $"body: expected a JSON SessionConfig of at most {MaxBodyBytes} bytes");
        }

        Protos.V1.SessionConfig config;
        try
        {
            config = WebSocketJson.ParseConfig(body);
        }
        catch (RpcException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, ex.Status.Detail);
        }

        if (server.Validate(config) is { } invalid)
        {
            return Problem(StatusCodes.Status400BadRequest, invalid);
        }

        var created = server.Put(key, config);
        return Results.Json(new { key, created }, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> ControlAsync(string key, HttpContext http, BroadcastServer server)
    {
        if (!server.Profiles.ContainsKey(key))
        {
            return Problem(StatusCodes.Status404NotFound, $"no stream key '{key}'");
        }

        var body = await ReadBodyAsync(http).ConfigureAwait(false);
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, $"body: expected a JSON ControlUpdate of at most {MaxBodyBytes} bytes");
        }

        Protos.V1.ControlUpdate update;
        try
        {
            update = WebSocketJson.ParseControl(body);
        }
        catch (RpcException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, ex.Status.Detail);
        }

        var error = server.Control(key, update, out var live);
        return error switch
        {
            null => Results.Json(new { key, live }),
            _ when error.StartsWith("too many", StringComparison.Ordinal) => Problem(StatusCodes.Status429TooManyRequests, error),
            _ => Problem(StatusCodes.Status400BadRequest, error),
        };
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.Length == 0 ? null : buffer.ToArray();
    }

    private static IResult Problem(int status, string detail) => Results.Json(new { error = detail }, statusCode: status);
}
