using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// How <see cref="StreamDiffusionService"/> is mapped for gRPC: the generated binding, but with request
/// deserializers that reject invalid UTF-8 (a lone surrogate from a JavaScript client) as INVALID_ARGUMENT naming
/// the field, where the generated ones fail the call as UNKNOWN "Exception was thrown by handler". grpc-dotnet
/// binds a service type through its <see cref="BindServiceMethodAttribute"/> and needs the handlers declared on
/// that type, hence one forwarding method per RPC.
/// </summary>
[BindServiceMethod(typeof(StreamDiffusionGrpcEndpoint), nameof(BindService))]
public class StreamDiffusionGrpcEndpoint
{
    private readonly StreamDiffusionService _service;

    /// <summary>Creates the endpoint and its service for one call (as gRPC does).</summary>
    public StreamDiffusionGrpcEndpoint(IServiceProvider services)
    {
        _service = ActivatorUtilities.CreateInstance<StreamDiffusionService>(services);
    }

    /// <summary>The service's descriptor (gRPC reflection reads it from the binding type).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Protos.V1.StreamDiffusion.Descriptor;

    /// <summary>Binds every RPC of the generated service with the UTF-8 checking request deserializers.</summary>
    public static void BindService(ServiceBinderBase binder, StreamDiffusionGrpcEndpoint? endpoint) =>
        Protos.V1.StreamDiffusion.BindService(new WellFormedTextBinder(binder), null);

    /// <summary>See <see cref="StreamDiffusionService.Stream"/>.</summary>
    public virtual Task Stream(IAsyncStreamReader<StreamRequest> requestStream, IServerStreamWriter<StreamResponse> responseStream, ServerCallContext context) =>
        _service.Stream(requestStream, responseStream, context);

    /// <summary>See <see cref="StreamDiffusionService.Generate"/>.</summary>
    public virtual Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        _service.Generate(request, context);

    /// <summary>See <see cref="StreamDiffusionService.GenerateVideo"/>.</summary>
    public virtual Task GenerateVideo(GenerateVideoRequest request, IServerStreamWriter<VideoFrame> responseStream, ServerCallContext context) =>
        _service.GenerateVideo(request, responseStream, context);

    /// <summary>See <see cref="StreamDiffusionService.ControlVideo"/>.</summary>
    public virtual Task<VideoControlResponse> ControlVideo(VideoControlRequest request, ServerCallContext context) =>
        _service.ControlVideo(request, context);

    /// <summary>See <see cref="StreamDiffusionService.ListModels"/>.</summary>
    public virtual Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        _service.ListModels(request, context);

    /// <summary>See <see cref="StreamDiffusionService.GetCapabilities"/>.</summary>
    public virtual Task<Capabilities> GetCapabilities(GetCapabilitiesRequest request, ServerCallContext context) =>
        _service.GetCapabilities(request, context);
}
