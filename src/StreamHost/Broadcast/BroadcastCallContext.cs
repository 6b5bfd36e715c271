using Grpc.Core;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// The <see cref="ServerCallContext"/> of a broadcast, so it runs through the same <c>StreamDiffusionService.Stream</c>
/// code path as a gRPC call (the adapter the WebSocket transport uses too). Its token fires when the broadcaster
/// disconnects, its decoder fails, the key is deleted, or the host stops.
/// </summary>
internal sealed class BroadcastCallContext : ServerCallContext, IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly Metadata _requestHeaders = [];
    private readonly Metadata _responseTrailers = [];

    public BroadcastCallContext(string transport, string key, string peer, CancellationToken stopping)
    {
        Transport = transport;
        PeerCore = peer;
        HostCore = key;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    /// <summary>"srt" (or "rtmp"): what /sessions shows as the session's transport.</summary>
    public string Transport { get; }

    protected override string MethodCore => "/broadcast/" + Transport;

    protected override string HostCore { get; }

    protected override string PeerCore { get; }

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore => _requestHeaders;

    protected override CancellationToken CancellationTokenCore => _cts.Token;

    protected override Metadata ResponseTrailersCore => _responseTrailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    /// <summary>Ends the session like a client disconnect.</summary>
    public void Abort()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Over already.
        }
    }

    public void Dispose() => _cts.Dispose();

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Broadcast sessions do not propagate calls.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
