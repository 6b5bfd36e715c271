using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// The browser-facing endpoints of the host (served on its HTTP/1.1 port): the web page at <c>/</c>, the
/// WebSocket session endpoint <c>/ws/stream</c>, long video over a WebSocket <c>/ws/video</c>, <c>/sessions</c> and <c>/sessions/{id}/mjpeg</c>.
/// </summary>
public static class WebEndpoints
{
    /// <summary>Keep-alive pings keep idle WebSocket sessions alive through proxies and detect dead peers.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>Path of a session's MJPEG stream.</summary>
    public static string MjpegPath(string sessionId) => "/sessions/" + Uri.EscapeDataString(sessionId) + "/mjpeg";

    /// <summary>Registers what the web endpoints and the session publisher hook need.</summary>
    public static IServiceCollection AddStreamHostWeb(this IServiceCollection services)
    {
        services.AddSingleton<LiveSessions>();
        return services;
    }

    /// <summary>Adds the WebSocket middleware and maps the web endpoints.</summary>
    public static WebApplication MapStreamHostWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = KeepAliveInterval });
        app.MapGet("/", (HttpContext http) => StaticAssets.ServeAsync(http, "index.html"));
        foreach (var name in StaticAssets.Names.Where(n => n != "index.html"))
        {
            app.MapGet("/" + name, (HttpContext http) => StaticAssets.ServeAsync(http, name));
        }

        app.Map("/ws/stream", WebSocketStreamEndpoint.HandleAsync);
        app.Map("/ws/video", WebSocketVideoEndpoint.HandleAsync);
        app.MapGet("/models", ModelsEndpoint.HandleAsync);
        app.MapGet("/sessions", SessionsEndpoint.HandleAsync);
        app.MapGet("/sessions/{id}/mjpeg", MjpegEndpoint.HandleAsync);
        return app;
    }
}
