using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// The HTTP side of authentication (after ASP.NET Core's authentication middleware, when auth is on). Open: the
/// web page and its assets (it asks for the key itself), <c>/healthz</c> (Kubernetes probes), <c>/metrics</c>
/// unless <see cref="AuthOptions.ProtectMetrics"/>, and gRPC requests (the service's own interceptor answers with
/// gRPC statuses; health and reflection stay open). A <c>/sessions/{id}/mjpeg</c> request passes with a valid
/// signed URL (an expired or altered one is 403) or a key. Everything else (<c>/sessions</c>, <c>/models</c>,
/// <c>/broadcasts</c>, <c>/ws/stream</c>, anything new) needs a key: 401 with how to send one.
/// </summary>
public sealed class AccessGate
{
    private readonly RequestDelegate _next;
    private readonly AuthOptions _options;
    private readonly MjpegUrlSigner _signer;
    private readonly HashSet<string> _openPaths;

    /// <summary>Creates the gate.</summary>
    public AccessGate(RequestDelegate next, IOptions<AuthOptions> options, MjpegUrlSigner signer)
    {
        ArgumentNullException.ThrowIfNull(options);
        _next = next;
        _options = options.Value;
        _signer = signer;
        _openPaths = new HashSet<string>(StringComparer.Ordinal) { "/", "/healthz" };
        _openPaths.UnionWith(StaticAssets.Names.Select(n => "/" + n));
        if (!_options.ProtectMetrics)
        {
            _openPaths.Add("/metrics");
        }
    }

    /// <summary>The message for a request that must authenticate and did not.</summary>
    public static string ChallengeMessage(HttpRequest request) => PresentedCredential.Find(request) is null
        ? "this host requires an API key: send 'authorization: Bearer KEY' or 'x-api-key: KEY'"
        : "the API key or token was not accepted (unknown key, or a token that is expired, not yet valid or wrongly signed)";

    /// <summary>Lets the request through or answers it.</summary>
    public Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var request = http.Request;
        var path = request.Path.Value ?? "/";
        // gRPC is recognised by the endpoint routing chose, not by a content type any HTTP client can send.
        if (IsGrpc(http) || _openPaths.Contains(path) || ClientIdentity.Of(http) is not null)
        {
            return _next(http);
        }

        if (IsMjpeg(path))
        {
            switch (_signer.Verify(request))
            {
                case SignedUrlCheck.Valid:
                    return _next(http);
                case SignedUrlCheck.Expired:
                    return RefuseAsync(http, StatusCodes.Status403Forbidden, "the signed MJPEG URL has expired; GET /sessions for a fresh one");
                case SignedUrlCheck.Tampered:
                    return RefuseAsync(http, StatusCodes.Status403Forbidden, "the MJPEG URL's signature does not match; GET /sessions for a signed one");
                case SignedUrlCheck.Unsigned:
                    break;
            }
        }

        http.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return RefuseAsync(http, StatusCodes.Status401Unauthorized, ChallengeMessage(request));
    }

    /// <summary>Whether routing sent the request to a gRPC method.</summary>
    internal static bool IsGrpc(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;

    /// <summary>Answers a refused HTTP request with a plain-text reason that is never cached.</summary>
    internal static Task RefuseAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        return http.Response.WriteAsync(message + "\n", http.RequestAborted);
    }

    private static bool IsMjpeg(string path) =>
        path.StartsWith("/sessions/", StringComparison.Ordinal) && path.EndsWith("/mjpeg", StringComparison.Ordinal)
        && path.AsSpan("/sessions/".Length, path.Length - "/sessions/".Length - "/mjpeg".Length).IndexOf('/') < 0;
}
