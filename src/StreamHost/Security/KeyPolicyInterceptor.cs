using Grpc.Core;
using Grpc.Core.Interceptors;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Authentication and key limits for the <c>StreamDiffusion</c> gRPC service (health and reflection stay open):
/// every RPC needs an authenticated client (UNAUTHENTICATED otherwise, with how to send a key); Stream,
/// Generate and GenerateVideo are admitted against the key's limits (<see cref="KeyAdmission"/>).
/// Registered only when <see cref="AuthOptions.Enabled"/>.
/// </summary>
public sealed class KeyPolicyInterceptor : Interceptor
{
    private readonly KeyAdmission _admission;

    /// <summary>Creates the interceptor.</summary>
    public KeyPolicyInterceptor(KeyAdmission admission)
    {
        _admission = admission;
    }

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var identity = Authenticated(context);
        using var slot = request is GenerateRequest generate
            ? _admission.Admit(identity, generate.Model, generate.Width, generate.Height, string.Empty, context.CancellationToken)
            : null;
        return await continuation(request, context).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var identity = Authenticated(context);
        using var slot = request is GenerateVideoRequest video
            ? _admission.Admit(identity, video.Model, video.Width, video.Height, string.Empty, context.CancellationToken)
            : null;
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var identity = Authenticated(context);
        if (requestStream is IAsyncStreamReader<StreamRequest> stream)
        {
            using var admitting = new AdmittingStreamReader(stream, _admission, identity, context.CancellationToken);
            await continuation((IAsyncStreamReader<TRequest>)(object)admitting, responseStream, context).ConfigureAwait(false);
            return;
        }

        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _ = Authenticated(context);
        return continuation(requestStream, context);
    }

    private static ClientIdentity Authenticated(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        return ClientIdentity.Of(http) ?? throw new RpcException(new Status(StatusCode.Unauthenticated, AccessGate.ChallengeMessage(http.Request)));
    }
}
