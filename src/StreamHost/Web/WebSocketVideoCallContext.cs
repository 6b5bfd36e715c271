using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// The <see cref="ServerCallContext"/> of a <c>/ws/video</c> connection, so the browser's text-to-video runs through
/// the same <c>StreamDiffusionService.GenerateVideo</c> code as a gRPC call. Its cancellation token fires when the
/// HTTP request is aborted or the socket closes (<see cref="Abort"/>), as a gRPC call's does when its client goes
/// away. Stream sessions no longer need such an adapter (they run on the transport-neutral session core,
/// <see cref="Sessions.ISessionTransport"/>); long video has not moved onto that core yet.
/// </summary>
internal sealed class WebSocketVideoCallContext : ServerCallContext, IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly Metadata _requestHeaders = [];
    private readonly Metadata _responseTrailers = [];

    /// <summary>Creates the context for a connection from <paramref name="peer"/>.</summary>
    public WebSocketVideoCallContext(string peer, string host, CancellationToken requestAborted, HttpContext? http = null)
    {
        // grpc-dotnet's GetHttpContext() reads this entry for a context it did not create, so code that looks at
        // the caller (identity, key limits) works for the WebSocket as for gRPC.
        if (http is not null)
        {
            UserState["__HttpContext"] = http;
        }

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
