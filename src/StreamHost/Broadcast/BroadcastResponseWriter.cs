using Grpc.Core;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// Presents a broadcast's output as the response stream of a Stream call: SessionStarted starts the codecs at the
/// session's size, each generated frame goes to the output encoder, dropped and failed frames only free their
/// input buffers. Writes happen on the session loop, so a slow encoder slows the loop and the session's
/// drop-oldest queue sheds input frames (newest wins) instead of queueing them.
/// </summary>
internal sealed class BroadcastResponseWriter : IServerStreamWriter<StreamResponse>
{
    private readonly BroadcastSession _session;

    public BroadcastResponseWriter(BroadcastSession session)
    {
        _session = session;
    }

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(StreamResponse message) => WriteAsync(message, CancellationToken.None);

    public Task WriteAsync(StreamResponse message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.PayloadCase)
        {
            case StreamResponse.PayloadOneofCase.Started:
                _session.OnStarted(message.Started);
                return Task.CompletedTask;
            case StreamResponse.PayloadOneofCase.Frame:
                return _session.OnFrameAnsweredAsync(message.Frame, cancellationToken);
            default:
                return Task.CompletedTask;
        }
    }
}
