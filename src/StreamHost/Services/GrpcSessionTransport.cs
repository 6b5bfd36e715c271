using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// A gRPC <c>Stream</c> call as a session transport: the request stream in, the response stream out, the call's
/// token as the client-gone signal, an HTTP/2 stream reset for a client that stopped reading, and the final status
/// thrown as an <see cref="RpcException"/> so grpc-dotnet sends it as the call's trailers.
/// </summary>
internal sealed class GrpcSessionTransport : ISessionTransport, ISessionInput, ISessionOutput
{
    // HTTP/2 error code ENHANCE_YOUR_CALM (RFC 9113 section 7).
    private const int Http2EnhanceYourCalm = 0xB;

    private readonly IAsyncStreamReader<StreamRequest> _requests;
    private readonly IServerStreamWriter<StreamResponse> _responses;
    private readonly ServerCallContext _context;

    public GrpcSessionTransport(IAsyncStreamReader<StreamRequest> requests, IServerStreamWriter<StreamResponse> responses, ServerCallContext context)
    {
        _requests = requests;
        _responses = responses;
        _context = context;
        Identity = IdentityOf(context);
    }

    public SessionIdentity Identity { get; }

    public ISessionInput Input => this;

    public ISessionOutput Output => this;

    public CancellationToken ClientGone => _context.CancellationToken;

    /// <summary>Who a gRPC call comes from (also for the calls that are not Stream sessions).</summary>
    public static SessionIdentity IdentityOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        var client = Security.ClientIdentity.Of(http);
        return new SessionIdentity("grpc", context.Peer, http.User, client?.Limits.MaxFps ?? 0, client?.Owner);
    }

    public async ValueTask<StreamRequest?> ReadAsync(CancellationToken cancellationToken) =>
        await _requests.MoveNext(cancellationToken).ConfigureAwait(false) ? _requests.Current : null;

    public Task WriteAsync(StreamResponse response, CancellationToken cancellationToken)
    {
        // Written with the call's token, not the session's: grpc-dotnet aborts the whole HTTP/2 stream when a write's
        // token fires, so a drain deadline landing mid-write would reach the client as CANCELLED ("server reset the
        // stream") instead of the UNAVAILABLE trailers it must see to reconnect elsewhere. The session checks its own
        // token before each write; a write that never completes is the stalled reader AbortStalledWriter resets.
        return _responses.WriteAsync(response, _context.CancellationToken);
    }

    public void AbortStalledWriter() =>
        _context.GetHttpContext().Features.Get<IHttpResetFeature>()?.Reset(Http2EnhanceYourCalm);

    public Task CompleteAsync(SessionStatus status)
    {
        if (status.IsError)
        {
            throw new RpcException(new Status(status.Code, status.Detail));
        }

        // OK ends the call with OK trailers; a client that went away has nobody left to tell.
        return Task.CompletedTask;
    }
}
