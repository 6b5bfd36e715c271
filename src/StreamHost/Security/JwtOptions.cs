namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// JWT bearer validation (configuration section <c>Auth:Jwt</c>): tokens from an OpenID Connect
/// <see cref="Authority"/> (keys from its metadata) or signed with a shared <see cref="SigningKey"/> (HS256).
/// Limits come from the token's <c>sd_*</c> claims (<see cref="LimitClaims"/>), else from <see cref="DefaultLimits"/>.
/// </summary>
public sealed class JwtOptions
{
    /// <summary>OpenID Connect authority whose signing keys validate tokens, e.g. https://login.example.com/realm.</summary>
    public string Authority { get; set; } = string.Empty;

    /// <summary>Base64 symmetric key (at least 32 bytes) for HS256 tokens, instead of an authority.</summary>
    public string SigningKey { get; set; } = string.Empty;

    /// <summary>Required <c>iss</c>; empty: any (only with an authority, which checks its own).</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>Required <c>aud</c>; empty: not checked.</summary>
    public string Audience { get; set; } = string.Empty;

    /// <summary>Limits for a token without <c>sd_*</c> claims (its name is the token's <c>sub</c>).</summary>
    public ApiKeyOptions DefaultLimits { get; set; } = new();

    /// <summary>Whether JWT validation is configured.</summary>
    public bool IsConfigured => Authority.Length > 0 || SigningKey.Length > 0;
}
