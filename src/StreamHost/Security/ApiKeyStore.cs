using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>The configured API keys, hashes parsed once; looks a presented key up in constant time.</summary>
public sealed class ApiKeyStore
{
    private readonly (byte[] Hash, ApiKeyOptions Key)[] _keys;

    /// <summary>Parses the configured keys (validated at start by <see cref="AuthSetup"/>).</summary>
    public ApiKeyStore(IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = options.Value.Keys
            .Select(k => (ApiKeyHash.TryParse(k.Sha256, out var hash) ? hash : [], k))
            .ToArray();
    }

    /// <summary>
    /// The key whose hash matches <paramref name="presented"/>, or null. Every configured hash is compared with
    /// <see cref="CryptographicOperations.FixedTimeEquals"/>, matched or not, so timing tells nothing about which
    /// bytes matched or which key it was.
    /// </summary>
    public ApiKeyOptions? Find(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var digest = ApiKeyHash.Digest(presented);
        ApiKeyOptions? found = null;
        foreach (var (hash, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, hash))
            {
                found = key;
            }
        }

        return found;
    }
}
