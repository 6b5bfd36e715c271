using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// Binds a generated service with request deserializers that turn invalid UTF-8 in a string field (a lone
/// surrogate from a JavaScript client) into INVALID_ARGUMENT naming the field, where the generated ones would
/// fail the call as UNKNOWN "Exception was thrown by handler".
/// </summary>
internal sealed class WellFormedTextBinder(ServiceBinderBase inner) : ServiceBinderBase
{
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    private static Method<TRequest, TResponse> Checked<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        if (Activator.CreateInstance<TRequest>() is not IMessage prototype)
        {
            return method;
        }

        var descriptor = prototype.Descriptor;
        var deserialize = method.RequestMarshaller.ContextualDeserializer;
        var marshaller = new Marshaller<TRequest>(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (InvalidProtocolBufferException) when (Locate(descriptor, context) is { } field)
            {
                throw SessionSettingsValidator.Invalid(field, "not well-formed Unicode: invalid UTF-8 (a lone UTF-16 surrogate?)");
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static string? Locate(MessageDescriptor descriptor, DeserializationContext context) =>
        InvalidUtf8Locator.Find(descriptor, context.PayloadAsReadOnlySequence());
}
