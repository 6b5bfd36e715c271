using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Who is calling and what they may use: the key's configured name (or a token's subject) and its limits. Put in
/// <see cref="HttpContext.Items"/> by authentication, so the session layer can read it from any transport's call
/// (e.g. to cap frames at <see cref="KeyLimits.MaxFps"/>).
/// </summary>
public sealed record ClientIdentity(string Name, string Scheme, KeyLimits Limits)
{
    private static readonly object s_itemKey = new();

    /// <summary>
    /// What a session this client starts is owned by: the scheme and the name, so an API key and a token subject
    /// that happen to share a name stay apart.
    /// </summary>
    public string Owner => Scheme + ":" + Name;

    /// <summary>
    /// Whether this client may see or control a session owned by <paramref name="owner"/>: one it started, one with no
    /// owner (broadcast ingest, or a session from before auth was on), or any with an admin key.
    /// </summary>
    public bool CanAccess(string? owner) => owner is null || Limits.Admin || string.Equals(owner, Owner, StringComparison.Ordinal);

    /// <summary>The identity of the request's authenticated client, or null (auth off, or not authenticated).</summary>
    public static ClientIdentity? Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Items.TryGetValue(s_itemKey, out var value) ? value as ClientIdentity : null;
    }

    /// <summary>Records <paramref name="identity"/> as the request's client.</summary>
    public static void Set(HttpContext http, ClientIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Items[s_itemKey] = identity;
    }

    /// <summary>The identity an authenticated principal describes (its name claim and its <c>sd_*</c> limit claims).</summary>
    public static ClientIdentity FromPrincipal(ClaimsPrincipal principal, string scheme, ApiKeyOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var name = principal.FindFirst(ClaimTypes.Name)?.Value ?? principal.FindFirst("sub")?.Value ?? "(unnamed)";
        return new ClientIdentity(name, scheme, LimitClaims.Read(principal, defaults));
    }
}
