using Grpc.Core;
using StreamDiffusion.Pipeline.Batching;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// What a client is told when the pipeline fails a frame (not the client's fault): a status code and a message that
/// says what happened without exception details, paths or stack traces, which go to the host log instead.
/// </summary>
internal static class ProcessingFailure
{
    /// <summary>The per-frame error for <paramref name="exception"/>; <paramref name="sessionId"/> lets an operator find the log line.</summary>
    public static (StatusCode Code, string Message) Describe(Exception exception, string sessionId) => exception switch
    {
        // The engine's worker died under this frame, or the engine stopped: another replica may serve it.
        EngineFaultedException => (StatusCode.Unavailable, $"processing failed: the model's engine is unavailable (session {sessionId} in the host log)"),

        // Its message names the engine only.
        NonFiniteOutputException => (StatusCode.Internal, "processing failed: " + exception.Message),
        BatchQueueFullException => (StatusCode.ResourceExhausted, "processing failed: the model's queue is full; the frame was not processed"),
        _ => (StatusCode.Internal, $"processing failed: internal error (session {sessionId} in the host log)"),
    };
}
