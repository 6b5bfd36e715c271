using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// The host's two listening endpoints. After start the addresses carry the bound ports (useful with port 0).
/// </summary>
public sealed class HostEndpoints
{
    private ListenOptions? _grpc;
    private ListenOptions? _http;
    private bool _grpcTls;

    /// <summary>gRPC (HTTP/2) address, e.g. http://127.0.0.1:50051 (https:// with TLS, serving HTTP/1.1 too).</summary>
    public Uri GrpcAddress => Address(_grpc, _grpcTls);

    /// <summary>Web (HTTP/1.1) address, e.g. http://127.0.0.1:8080.</summary>
    public Uri HttpAddress => Address(_http, tls: false);

    /// <summary>
    /// Parses a configured listen URL (http://, or https:// where <paramref name="tls"/> says TLS is configured for
    /// it; host an IP, localhost, or * / + / 0.0.0.0 for all).
    /// </summary>
    public static IPEndPoint ParseEndpoint(string url, string setting, bool tls = false)
    {
        var scheme = tls ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != scheme)
        {
            throw new InvalidOperationException(tls
                ? $"{setting} must be an https:// URL like https://0.0.0.0:50051 when Listen:Tls:CertificatePath is set, got '{url}'"
                : $"{setting} must be an http:// URL like http://127.0.0.1:50051, got '{url}' (TLS: only Listen:GrpcUrl, with Listen:Tls:CertificatePath)");
        }

        // Uri does not parse "*" or "+" as hosts, so look at the raw authority.
        var host = uri.Host;
        var raw = url[(url.IndexOf("//", StringComparison.Ordinal) + 2)..];
        var address = raw.StartsWith('*') || raw.StartsWith('+') ? IPAddress.Any
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip
            : throw new InvalidOperationException($"{setting}: host '{host}' is not an IP address, localhost or *");
        return new IPEndPoint(address, uri.Port);
    }

    internal void SetGrpc(ListenOptions options, bool tls)
    {
        _grpc = options;
        _grpcTls = tls;
    }

    internal void SetHttp(ListenOptions options) => _http = options;

    private static Uri Address(ListenOptions? options, bool tls)
    {
        var endpoint = options?.IPEndPoint ?? throw new InvalidOperationException("The host is not configured yet.");
        var host = endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
        return new Uri($"{(tls ? "https" : "http")}://{host}:{endpoint.Port}");
    }
}
