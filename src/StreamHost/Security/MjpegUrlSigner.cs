using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Short-lived signed MJPEG URLs, so a viewer that cannot send headers (OBS, an <c>&lt;img&gt;</c> tag) can open a
/// stream: <c>/sessions/{id}/mjpeg?expires=UNIX-SECONDS&amp;sig=BASE64URL</c>, where sig is HMAC-SHA256 over the
/// path and the expiry with the host's secret (<see cref="AuthOptions.UrlSigningSecret"/>, or random per start).
/// </summary>
public sealed class MjpegUrlSigner
{
    /// <summary>Query parameter of the expiry.</summary>
    public const string ExpiresParameter = "expires";

    /// <summary>Query parameter of the signature.</summary>
    public const string SignatureParameter = "sig";

    private readonly byte[] _secret;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    /// <summary>Creates the signer from configuration (validated at start by <see cref="AuthSetup"/>).</summary>
    public MjpegUrlSigner(IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var auth = options.Value;
        _secret = auth.UrlSigningSecret.Length > 0 ? Convert.FromBase64String(auth.UrlSigningSecret) : RandomNumberGenerator.GetBytes(32);
        _lifetime = auth.SignedUrlLifetime;
        _time = time;
    }

    /// <summary>The signed URL of <paramref name="path"/>, valid for the configured lifetime from now.</summary>
    public string Sign(string path) => Sign(path, _time.GetUtcNow() + _lifetime);

    /// <summary>The signed URL of <paramref name="path"/>, valid until <paramref name="expiresAt"/>.</summary>
    public string Sign(string path, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(path);
        var expires = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{path}?{ExpiresParameter}={expires}&{SignatureParameter}={Signature(path, expires)}";
    }

    /// <summary>Checks the signature a request to an MJPEG path carries in its query.</summary>
    public SignedUrlCheck Verify(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Verify(request.Path.ToUriComponent(), request.Query[ExpiresParameter], request.Query[SignatureParameter]);
    }

    /// <summary>Checks a request's <paramref name="expires"/> and <paramref name="signature"/> for <paramref name="path"/>.</summary>
    public SignedUrlCheck Verify(string path, string? expires, string? signature)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrEmpty(expires) && string.IsNullOrEmpty(signature))
        {
            return SignedUrlCheck.Unsigned;
        }

        if (expires is null || signature is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(path, expires)), Encoding.ASCII.GetBytes(signature)))
        {
            return SignedUrlCheck.Tampered;
        }

        return long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && seconds > _time.GetUtcNow().ToUnixTimeSeconds() ? SignedUrlCheck.Valid : SignedUrlCheck.Expired;
    }

    private string Signature(string path, string expires)
    {
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(path + "\n" + expires));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
