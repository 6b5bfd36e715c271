using System.Security.Cryptography;
using System.Text;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// API keys and their stored form. A key is 32 random bytes (base64url, prefixed <c>sdk_</c>); configuration
/// keeps only its SHA-256. A plain hash is enough for a 256-bit random secret (nothing to brute-force, unlike a
/// password), and unlike PBKDF2 it costs nothing per request.
/// </summary>
public static class ApiKeyHash
{
    /// <summary>Prefix of generated keys, so a leaked one is recognisable in logs and secret scanners.</summary>
    public const string Prefix = "sdk_";

    /// <summary>A new random key.</summary>
    public static string NewKey() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The lower-case hex SHA-256 of <paramref name="key"/>'s UTF-8 bytes, as configured.</summary>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>Parses a configured hash; false when it is not 64 hex digits.</summary>
    public static bool TryParse(string? hex, out byte[] hash)
    {
        hash = [];
        if (hex is null || hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        hash = Convert.FromHexString(hex);
        return true;
    }

    /// <summary>SHA-256 of a presented key.</summary>
    public static byte[] Digest(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
