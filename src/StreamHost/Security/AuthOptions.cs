namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Client authentication (configuration section <c>Auth</c>). Authentication is on as soon as a key or a JWT
/// issuer is configured; without either the host is open, which is meant for the loopback default only (a host
/// bound to another address without keys logs a warning at start, and <see cref="RequireKeys"/> refuses it).
/// </summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth";

    /// <summary>The API keys, each stored as a hash with a name and its limits (<c>Auth:Keys:0:Name</c>, ...).</summary>
    public IList<ApiKeyOptions> Keys { get; } = [];

    /// <summary>Optional JWT bearer validation.</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>Refuse to start without a key or JWT issuer (for deployments that must never run open).</summary>
    public bool RequireKeys { get; set; }

    /// <summary>Whether <c>/metrics</c> needs a key too (off: Prometheus scrapes it without one).</summary>
    public bool ProtectMetrics { get; set; }

    /// <summary>
    /// Base64 secret (at least 32 bytes) for signed MJPEG URLs. Empty: a random secret per start, so URLs die with
    /// the process; set it when several replicas must accept each other's URLs.
    /// </summary>
    public string UrlSigningSecret { get; set; } = string.Empty;

    /// <summary>How long a signed MJPEG URL can be opened (a stream already open keeps running).</summary>
    public TimeSpan SignedUrlLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Rejected credentials (a key or token presented and not accepted) one client address may send per
    /// <see cref="FailedAttemptWindow"/>; past that, every request from the address that presents a credential is
    /// refused (gRPC RESOURCE_EXHAUSTED, HTTP 429 with Retry-After) until the window ends. Default 20; 0: no limit.
    /// </summary>
    public int MaxFailedAttempts { get; set; } = 20;

    /// <summary>The window <see cref="MaxFailedAttempts"/> counts over. Default 1 minute.</summary>
    public TimeSpan FailedAttemptWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether clients must authenticate.</summary>
    public bool Enabled => Keys.Count > 0 || Jwt.IsConfigured;
}
