using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// A broadcast's session output: SessionStarted starts the codecs at the
/// session's size, each generated frame goes to the output encoder, dropped and failed frames only free their
/// input buffers. Writes happen on the session loop, so a slow encoder slows the loop and the session's
/// drop-oldest queue sheds input frames (newest wins) instead of queueing them.
/// </summary>
internal sealed class BroadcastResponseWriter : ISessionOutput
{
    private readonly BroadcastSession _session;

    public BroadcastResponseWriter(BroadcastSession session)
    {
        _session = session;
    }

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
