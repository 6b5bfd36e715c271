using Grpc.Core;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// The <see cref="ServerCallContext"/> of a WebSocket session, so it runs through the same
/// <c>StreamDiffusionService.Stream</c> code path as a gRPC call. Its cancellation token fires when the HTTP
/// request is aborted or the socket fails (<see cref="Abort"/>), as a gRPC call's does when its client goes away.
/// </summary>
public sealed class WebSocketCallContext : ServerCallContext, IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly Metadata _requestHeaders = [];
    private readonly Metadata _responseTrailers = [];

    /// <summary>Creates the context for a connection from <paramref name="peer"/>.</summary>
    public WebSocketCallContext(string peer, string host, CancellationToken requestAborted)
    {
        PeerCore = peer;
        HostCore = host;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
    }

    /// <inheritdoc />
    protected override string MethodCore => "/ws/stream";

    /// <inheritdoc />
    protected override string HostCore { get; }

    /// <inheritdoc />
    protected override string PeerCore { get; }

    /// <inheritdoc />
    protected override DateTime DeadlineCore => DateTime.MaxValue;

    /// <inheritdoc />
    protected override Metadata RequestHeadersCore => _requestHeaders;

    /// <inheritdoc />
    protected override CancellationToken CancellationTokenCore => _cts.Token;

    /// <inheritdoc />
    protected override Metadata ResponseTrailersCore => _responseTrailers;

    /// <inheritdoc />
    protected override Status StatusCore { get; set; }

    /// <inheritdoc />
    protected override WriteOptions? WriteOptionsCore { get; set; }

    /// <inheritdoc />
    protected override AuthContext AuthContextCore { get; } = new(null, []);

    /// <summary>The connection is gone: cancels the call, like a gRPC client disconnect.</summary>
    public void Abort()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call is over already.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _cts.Dispose();

    /// <inheritdoc />
    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("WebSocket sessions do not propagate calls.");

    /// <inheritdoc />
    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
