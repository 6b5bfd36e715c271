using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Wires authentication into the host: with keys or a JWT issuer configured, the <c>ApiKey</c> and (optionally)
/// JWT bearer schemes behind one policy scheme, the gRPC <see cref="KeyPolicyInterceptor"/>, the HTTP
/// <see cref="AccessGate"/> and signed MJPEG URLs; without, nothing but the start-up log (a warning beyond loopback).
/// </summary>
public static class AuthSetup
{
    /// <summary>The default scheme: picks JWT bearer for a JWT-shaped bearer token, the API key scheme otherwise.</summary>
    public const string PolicyScheme = "StreamHost";

    /// <summary>Registers authentication for <paramref name="configuration"/>'s <c>Auth</c> section.</summary>
    /// <exception cref="InvalidOperationException">The section is invalid.</exception>
    public static AuthOptions AddStreamHostAuth(this IServiceCollection services, IConfiguration configuration, IEnumerable<(string Url, IPEndPoint Endpoint)> listen)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AuthOptions.SectionName);
        var options = section.Get<AuthOptions>() ?? new AuthOptions();
        Check(options);
        services.Configure<AuthOptions>(section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<KeySessionCounter>();
        IReadOnlyList<string> exposed = [.. listen.Where(l => !IPAddress.IsLoopback(l.Endpoint.Address)).Select(l => l.Url)];
        services.AddHostedService(sp => new AuthenticationStartupLog(sp.GetRequiredService<ILogger<AuthenticationStartupLog>>(), options, exposed));
        if (!options.Enabled)
        {
            return options;
        }

        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<KeyAdmission>();
        services.AddSingleton<MjpegUrlSigner>();
        services.AddSingleton<FailedCredentialLimiter>();
        var jwt = options.Jwt;
        var authentication = services
            .AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "API key or JWT", o => o.ForwardDefaultSelector = http =>
                jwt.IsConfigured && PresentedCredential.Find(http.Request) is { } credential && PresentedCredential.LooksLikeJwt(credential)
                    ? JwtBearerDefaults.AuthenticationScheme
                    : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (jwt.IsConfigured)
        {
            authentication.AddJwtBearer(o => ConfigureJwt(o, jwt));
        }

        services.AddGrpc().AddServiceOptions<StreamDiffusionGrpcEndpoint>(o => o.Interceptors.Add<KeyPolicyInterceptor>());
        return options;
    }

    /// <summary>Adds the authentication middleware and the gate (auth on only); call before the endpoints are mapped.</summary>
    public static WebApplication UseStreamHostAuth(this WebApplication app, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Enabled)
        {
            app.UseAuthentication();
            app.UseMiddleware<FailedCredentialGate>();
            app.UseMiddleware<AccessGate>();
        }

        return app;
    }

    private static void ConfigureJwt(JwtBearerOptions o, JwtOptions jwt)
    {
        // Claim names as the token has them (sub, sd_max_sessions), not mapped to WS-* URIs.
        o.MapInboundClaims = false;
        if (jwt.Authority.Length > 0)
        {
            o.Authority = jwt.Authority;
        }

        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = jwt.Issuer.Length > 0,
            ValidIssuer = jwt.Issuer.Length > 0 ? jwt.Issuer : null,
            ValidateAudience = jwt.Audience.Length > 0,
            ValidAudience = jwt.Audience.Length > 0 ? jwt.Audience : null,
            IssuerSigningKey = jwt.SigningKey.Length > 0 ? new SymmetricSecurityKey(Convert.FromBase64String(jwt.SigningKey)) : null,
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "sub",
        };
        o.Events = new JwtBearerEvents
        {
            // The same places a key may come from (x-api-key is not for tokens, but harmless), including the
            // WebSocket query parameter.
            OnMessageReceived = context =>
            {
                context.Token = PresentedCredential.Find(context.Request);
                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                try
                {
                    ClientIdentity.Set(context.HttpContext, ClientIdentity.FromPrincipal(context.Principal!, "JWT", jwt.DefaultLimits));
                }
                catch (FormatException ex)
                {
                    context.Fail(ex.Message);
                }

                return Task.CompletedTask;
            },
        };
    }

    private static void Check(AuthOptions options)
    {
        Require(!options.RequireKeys || options.Enabled, "Auth:RequireKeys is set but no Auth:Keys or Auth:Jwt is configured");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var at = $"Auth:Keys:{i}";
            Require(!string.IsNullOrWhiteSpace(key.Name), $"{at}:Name is required");
            Require(names.Add(key.Name), $"{at}:Name '{key.Name}' is used by two keys");
            Require(ApiKeyHash.TryParse(key.Sha256, out _), $"{at}:Sha256 must be the 64 hex digits 'streamhost keys new' prints");
            CheckLimits(key, at);
        }

        var jwt = options.Jwt;
        Require(jwt.SigningKey.Length == 0 || DecodedLength(jwt.SigningKey) >= 32, "Auth:Jwt:SigningKey must be base64 of at least 32 bytes");
        Require(jwt.Authority.Length == 0 || Uri.TryCreate(jwt.Authority, UriKind.Absolute, out _), "Auth:Jwt:Authority must be an absolute URL");
        CheckLimits(jwt.DefaultLimits, "Auth:Jwt:DefaultLimits");
        Require(options.UrlSigningSecret.Length == 0 || DecodedLength(options.UrlSigningSecret) >= 32, "Auth:UrlSigningSecret must be base64 of at least 32 bytes");
        Require(options.SignedUrlLifetime > TimeSpan.Zero, "Auth:SignedUrlLifetime must be positive");
        Require(options.MaxFailedAttempts >= 0, "Auth:MaxFailedAttempts must not be negative (0: no limit)");
        Require(options.FailedAttemptWindow > TimeSpan.Zero, "Auth:FailedAttemptWindow must be positive");
    }

    private static void CheckLimits(ApiKeyOptions key, string at)
    {
        Require(key.MaxSessions >= 0, $"{at}:MaxSessions must not be negative (0: the host's limit)");
        Require(key.MaxFps >= 0 && double.IsFinite(key.MaxFps), $"{at}:MaxFps must not be negative (0: no cap)");
        Require(key.MaxWidth >= 0 && key.MaxHeight >= 0, $"{at}:MaxWidth and MaxHeight must not be negative (0: the host's limit)");
    }

    private static int DecodedLength(string base64)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? written : -1;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
