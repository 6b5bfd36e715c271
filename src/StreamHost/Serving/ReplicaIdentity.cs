using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// The name this host answers under in the <c>streamdiffusion-replica</c> response header of every call, so a
/// client behind a load balancer (and the load test) can tell which replica served it. <c>Replica:Name</c> sets
/// it (Kubernetes: the pod name); by default it is the machine name and the gRPC port.
/// </summary>
public sealed class ReplicaIdentity
{
    /// <summary>The response header.</summary>
    public const string HeaderName = "streamdiffusion-replica";

    private readonly string? _configured;
    private readonly HostEndpoints _endpoints;
    private string? _name;

    /// <summary>Creates the identity from configuration.</summary>
    public ReplicaIdentity(IConfiguration configuration, HostEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configured = configuration["Replica:Name"];
        _endpoints = endpoints;
    }

    /// <summary>The replica name (resolved once the host listens, since the port may be chosen by the OS).</summary>
    public string Name => _name ??= string.IsNullOrWhiteSpace(_configured)
        ? string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{_endpoints.GrpcAddress.Port}")
        : _configured;

    /// <summary>Middleware adding the header to every response (gRPC ones included, refusals too).</summary>
    public static RequestDelegate Middleware(RequestDelegate next, ReplicaIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(identity);
        return context =>
        {
            context.Response.Headers[HeaderName] = identity.Name;
            return next(context);
        };
    }
}
