using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Finds the credential a request presents: <c>x-api-key: KEY</c>, <c>authorization: Bearer KEY-OR-JWT</c>, or,
/// only for a WebSocket upgrade (browsers cannot set headers on one), a <c>Sec-WebSocket-Protocol</c> entry
/// <c>access_token.KEY</c> offered beside <see cref="WebSocketProtocol"/>, or the query parameter
/// <c>access_token</c>. Those forms are refused elsewhere so keys do not end up in ordinary URLs and logs.
/// </summary>
public static class PresentedCredential
{
    /// <summary>The API key header.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>The WebSocket query parameter.</summary>
    public const string QueryParameter = "access_token";

    /// <summary>
    /// The subprotocol the host selects when a browser offers it with an <c>access_token.KEY</c> entry (a browser
    /// fails the handshake unless the server selects one of the offered subprotocols; the key one is never echoed).
    /// </summary>
    public const string WebSocketProtocol = "streamdiffusion.v1";

    /// <summary>Prefix of the <c>Sec-WebSocket-Protocol</c> entry that carries a key.</summary>
    public const string ProtocolKeyPrefix = "access_token.";

    /// <summary>The credential, or null when the request presents none.</summary>
    public static string? Find(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var apiKey = request.Headers[ApiKeyHeader].ToString();
        if (apiKey.Length > 0)
        {
            return apiKey.Trim();
        }

        var authorization = request.Headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        if (!IsWebSocketUpgrade(request))
        {
            return null;
        }

        foreach (var offered in request.Headers.SecWebSocketProtocol.SelectMany(v => (v ?? string.Empty).Split(',')))
        {
            var protocol = offered.Trim();
            if (protocol.StartsWith(ProtocolKeyPrefix, StringComparison.Ordinal))
            {
                return protocol[ProtocolKeyPrefix.Length..];
            }
        }

        if (request.Query.TryGetValue(QueryParameter, out var token) && token.Count == 1)
        {
            return token.ToString();
        }

        return null;
    }

    /// <summary>Whether <paramref name="credential"/> has the shape of a JWT (three dot-separated parts).</summary>
    public static bool LooksLikeJwt(string credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return credential.Count(c => c == '.') == 2;
    }

    private static bool IsWebSocketUpgrade(HttpRequest request) =>
        request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase);
}
