using System.Security.Claims;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>JWT bearer tokens signed with a symmetric key from the test's configuration; their claims set the limits.</summary>
public sealed class JwtAuthenticationTests
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "streamdiffusion";

    private static readonly byte[] s_signingKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task A_valid_token_streams_with_the_limits_of_its_claims()
    {
        await using var host = await StartAsync();
        var token = Token(s_signingKey, DateTime.UtcNow.AddMinutes(5), new Claim("sd_max_sessions", "1"), new Claim("sd_max_width", "128"));
        using (var first = await AuthTestKeys.OpenAsync(host, AuthTestKeys.Bearer(token)))
        {
            var second = await AuthTestKeys.RefusedAsync(host, AuthTestKeys.Bearer(token), Frames.RawConfig());
            Assert.Equal(StatusCode.ResourceExhausted, second.StatusCode);
            Assert.Contains("key 'user-1'", second.Status.Detail, StringComparison.Ordinal);
            await Frames.CompleteAsync(first);
        }

        await AuthTestKeys.WaitForNoKeySessionsAsync(host, "user-1");
        var wide = Frames.RawConfig(256);
        var refused = await AuthTestKeys.RefusedAsync(host, AuthTestKeys.Bearer(token), wide);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.StartsWith("config.width: 256", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_with_sd_admin_sees_another_clients_session_and_one_without_does_not()
    {
        await using var host = await StartAsync();
        using var keyed = await AuthTestKeys.OpenAsync(host, AuthTestKeys.ApiKey(AuthTestKeys.Open));
        var id = keyed.ResponseStream.Current.Started.SessionId;

        async Task<int> VisibleAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await host.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            using var list = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return list.RootElement.GetProperty("sessions").EnumerateArray().Count(s => s.GetProperty("id").GetString() == id);
        }

        Assert.Equal(1, await VisibleAsync(Token(s_signingKey, DateTime.UtcNow.AddMinutes(5), new Claim("sd_admin", "true"))));
        Assert.Equal(0, await VisibleAsync(Token(s_signingKey, DateTime.UtcNow.AddMinutes(5))));
        await Frames.CompleteAsync(keyed);
    }

    [Fact]
    public async Task A_token_without_limit_claims_gets_the_configured_default_limits()
    {
        await using var host = await StartAsync("Auth:Jwt:DefaultLimits:AllowedModels:0=other");
        var refused = await AuthTestKeys.RefusedAsync(host, AuthTestKeys.Bearer(Token(s_signingKey, DateTime.UtcNow.AddMinutes(5))), Frames.RawConfig());
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public async Task Expired_foreign_wrong_audience_and_malformed_claim_tokens_are_unauthenticated()
    {
        await using var host = await StartAsync();
        var expired = Token(s_signingKey, DateTime.UtcNow.AddMinutes(-5));
        var foreign = Token(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), DateTime.UtcNow.AddMinutes(5));
        var audience = Token(s_signingKey, DateTime.UtcNow.AddMinutes(5), audience: "someone-else");
        var malformed = Token(s_signingKey, DateTime.UtcNow.AddMinutes(5), new Claim("sd_max_sessions", "lots"));
        var admin = Token(s_signingKey, DateTime.UtcNow.AddMinutes(5), new Claim("sd_admin", "maybe"));
        foreach (var token in new[] { expired, foreign, audience, malformed, admin })
        {
            var refused = await AuthTestKeys.RefusedAsync(host, AuthTestKeys.Bearer(token), Frames.RawConfig());
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        // API keys still work beside JWT.
        using var keyed = await AuthTestKeys.OpenAsync(host, AuthTestKeys.Bearer(AuthTestKeys.Open));
        await Frames.CompleteAsync(keyed);
    }

    private static Task<LoopbackHost> StartAsync(params string[] extra) => AuthTestKeys.StartHostAsync(
    [
        "Auth:Jwt:SigningKey=" + Convert.ToBase64String(s_signingKey),
        "Auth:Jwt:Issuer=" + Issuer,
        "Auth:Jwt:Audience=" + Audience,
        .. extra,
    ]);

    private static string Token(byte[] key, DateTime expires, params Claim[] claims) => Token(key, expires, Audience, claims);

    private static string Token(byte[] key, DateTime expires, string audience, params Claim[] claims)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", "user-1"), .. claims]),
            NotBefore = expires.AddMinutes(-10),
            IssuedAt = expires.AddMinutes(-10),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
