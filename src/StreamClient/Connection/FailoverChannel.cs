using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;

namespace StreamDiffusion.StreamClient.Connection;

/// <summary>
/// A gRPC channel over one or several host addresses that tries another replica when one refuses a call.
/// It relies on grpc-dotnet rather than a hand-written loop: a static resolver lists the addresses, the
/// round-robin balancer spreads calls over them (skipping replicas it cannot connect to), and the retry
/// policy re-sends a call that a replica answered with RESOURCE_EXHAUSTED (full) or UNAVAILABLE (draining,
/// unreachable) before any response, with exponential backoff, so the next attempt lands on the next replica.
/// </summary>
/// <remarks>
/// A retry only happens before the call is committed, i.e. before the host sent response headers; a live
/// session that a replica ends later (drain deadline) must be reopened by the caller.
/// </remarks>
public static class FailoverChannel
{
    /// <summary>Tries per call, the first included (grpc-dotnet caps this at 5).</summary>
    public const int MaxAttempts = 5;

    /// <summary>Backoff before the first retry; it doubles per retry up to <see cref="MaxBackoff"/> (randomised by grpc-dotnet).</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest backoff between two tries.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>The retry policy used for every method.</summary>
    public static RetryPolicy RetryPolicy => new()
    {
        MaxAttempts = MaxAttempts,
        InitialBackoff = InitialBackoff,
        MaxBackoff = MaxBackoff,
        BackoffMultiplier = 2,
        RetryableStatusCodes = { StatusCode.ResourceExhausted, StatusCode.Unavailable },
    };

    /// <summary>
    /// Parses a comma-separated address list ("host:port" or "http://host:port", cleartext h2c only).
    /// </summary>
    /// <exception cref="FormatException">An entry is not an http address with a host and port.</exception>
    public static IReadOnlyList<Uri> ParseAddresses(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var result = new List<Uri>();
        foreach (var entry in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = entry.Contains("://", StringComparison.Ordinal) ? entry : "http://" + entry;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
                || string.IsNullOrEmpty(uri.Host) || uri.IsDefaultPort && !entry.Contains(":80", StringComparison.Ordinal))
            {
                throw new FormatException($"'{entry}' is not a gRPC address like http://127.0.0.1:50051 or 127.0.0.1:50051");
            }

            result.Add(uri);
        }

        return result.Count > 0 ? result : throw new FormatException("no address given");
    }

    /// <summary>Creates a channel over <paramref name="addresses"/>, balanced round-robin, retrying refused calls.</summary>
    /// <param name="addresses">Replica (or load balancer) addresses.</param>
    /// <param name="maxMessageBytes">Send and receive message limit.</param>
    public static GrpcChannel Create(IReadOnlyList<Uri> addresses, int maxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        var balancerAddresses = addresses.Select(a => new BalancerAddress(a.Host, a.Port)).ToArray();
        var resolver = new StaticResolverFactory(_ => balancerAddresses);
        return GrpcChannel.ForAddress("static:///streamdiffusion", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceProvider = new SingleServiceProvider<ResolverFactory>(resolver),
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
            ServiceConfig = new ServiceConfig
            {
                LoadBalancingConfigs = { new RoundRobinConfig() },
                MethodConfigs = { new MethodConfig { Names = { MethodName.Default }, RetryPolicy = RetryPolicy } },
            },
        });
    }
}
