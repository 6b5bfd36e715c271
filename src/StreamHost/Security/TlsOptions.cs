using System.Security.Cryptography.X509Certificates;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// TLS for the gRPC endpoint (configuration section <c>Listen:Tls</c>). With a certificate, <c>Listen:GrpcUrl</c>
/// is an https:// URL and that one port serves gRPC (HTTP/2) and the web page, WebSocket, MJPEG and HTTP API
/// (HTTP/1.1), chosen per connection by ALPN. <c>Listen:HttpUrl</c> stays a cleartext port (probes, metrics).
/// </summary>
public sealed class TlsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Listen:Tls";

    /// <summary>PEM certificate (chain) file, or a PKCS#12 file (.pfx / .p12).</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>PEM private key file (PEM certificates only; empty when the key is in the certificate file).</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>Password of a PKCS#12 file or an encrypted PEM key.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Whether TLS is configured.</summary>
    public bool Enabled => CertificatePath.Length > 0;

    /// <summary>Loads the certificate with its private key.</summary>
    /// <exception cref="InvalidOperationException">The files are missing or unreadable, or carry no private key.</exception>
    public X509Certificate2 Load()
    {
        try
        {
            var extension = Path.GetExtension(CertificatePath);
            var certificate = extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, Password.Length > 0 ? Password : null)
                : Password.Length > 0
                    ? X509Certificate2.CreateFromEncryptedPemFile(CertificatePath, Password, KeyPath.Length > 0 ? KeyPath : null)
                    : X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath.Length > 0 ? KeyPath : null);
            return certificate.HasPrivateKey ? certificate
                : throw new InvalidOperationException($"Listen:Tls:CertificatePath '{CertificatePath}' has no private key (set Listen:Tls:KeyPath)");
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Listen:Tls: cannot load the certificate '{CertificatePath}': {ex.Message}", ex);
        }
    }
}
