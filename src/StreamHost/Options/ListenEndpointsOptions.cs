namespace StreamDiffusion.StreamHost.Options;

/// <summary>
/// Where the host listens (configuration section <c>Listen</c>). gRPC needs its own cleartext HTTP/2 port
/// because Kestrel cannot serve HTTP/1.1 and prior-knowledge HTTP/2 on one cleartext endpoint.
/// </summary>
public sealed class ListenEndpointsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Listen";

    /// <summary>gRPC endpoint (HTTP/2 only), e.g. <c>http://127.0.0.1:50051</c>. Port 0 picks a free port.</summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:50051";

    /// <summary>Web endpoint (HTTP/1.1) for /healthz, /metrics and the web page. Port 0 picks a free port.</summary>
    public string HttpUrl { get; set; } = "http://127.0.0.1:8080";
}
