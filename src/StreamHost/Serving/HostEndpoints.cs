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

    /// <summary>gRPC (HTTP/2) address, e.g. http://127.0.0.1:50051.</summary>
    public Uri GrpcAddress => Address(_grpc);

    /// <summary>Web (HTTP/1.1) address, e.g. http://127.0.0.1:8080.</summary>
    public Uri HttpAddress => Address(_http);

    /// <summary>Parses a configured listen URL (http only; host an IP, localhost, or * / + / 0.0.0.0 for all).</summary>
    public static IPEndPoint ParseEndpoint(string url, string setting)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new InvalidOperationException(
                $"{setting} must be an http:// URL like http://127.0.0.1:50051, got '{url}' (TLS endpoints are not configured here yet)");
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

    internal void SetGrpc(ListenOptions options) => _grpc = options;

    internal void SetHttp(ListenOptions options) => _http = options;

    private static Uri Address(ListenOptions? options)
    {
        var endpoint = options?.IPEndPoint ?? throw new InvalidOperationException("The host is not configured yet.");
        var host = endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
        return new Uri($"http://{host}:{endpoint.Port}");
    }
}
