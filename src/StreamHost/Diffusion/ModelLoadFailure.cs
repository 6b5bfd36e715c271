using Grpc.Core;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.StreamHost.Diffusion;

/// <summary>How a model that failed to load is described to people (ListModels, /models) and to callers that ask for it.</summary>
internal static class ModelLoadFailure
{
    /// <summary>The reason, as ListModels shows it: a pack error's own message, otherwise the exception's type and message.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        ModelPackException pack => pack.Message,
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    /// <summary>What a session or generation on the failed model gets: FAILED_PRECONDITION naming the reason.</summary>
    public static RpcException Unavailable(string model, string reason) =>
        new(new Status(StatusCode.FailedPrecondition, $"model '{model}' is unavailable: it failed to load ({reason}); see ListModels"));
}
