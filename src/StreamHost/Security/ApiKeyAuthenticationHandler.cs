using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// The <c>ApiKey</c> authentication scheme: a presented key (<see cref="PresentedCredential"/>) that matches a
/// configured hash becomes a principal named after the key, with its limits as <see cref="LimitClaims"/>, and
/// the request's <see cref="ClientIdentity"/>.
/// </summary>
public sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "ApiKey";

    private readonly ApiKeyStore _store;

    /// <summary>Creates the handler (per request, as ASP.NET Core does).</summary>
    public ApiKeyAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore store)
        : base(options, logger, encoder)
    {
        _store = store;
    }

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedCredential.Find(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var key = _store.Find(presented);
        if (key is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("the API key is not valid"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, key.Name), .. LimitClaims.For(key)], SchemeName);
        var principal = new ClaimsPrincipal(identity);
        ClientIdentity.Set(Context, ClientIdentity.FromPrincipal(principal, SchemeName, key));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
