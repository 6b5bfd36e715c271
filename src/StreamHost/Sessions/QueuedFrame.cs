using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// An input frame waiting for its answer: in the session's queue with its payload, or pushed out of the queue
/// (dropped) with only what its answer needs, so a dropped frame's pixels are released at once.
/// </summary>
internal sealed class QueuedFrame
{
    /// <param name="frame">The client's frame.</param>
    /// <param name="settings">Settings to process it with.</param>
    /// <param name="receivedTimestamp">Stopwatch timestamp of receipt.</param>
    /// <param name="error">Edge validation error; such a frame is answered with a per-frame error.</param>
    public QueuedFrame(InputFrame frame, SessionSettings settings, long receivedTimestamp, string? error, bool overFpsCap = false)
    {
        OverFpsCap = overFpsCap;
        Frame = frame;
        Sequence = frame.Sequence;
        ClientTimestampUs = frame.ClientTimestampUs;
        Settings = settings;
        ReceivedTimestamp = receivedTimestamp;
        Error = error;
    }

    /// <summary>The client's frame; null once <see cref="ReleasePayload"/> ran.</summary>
    public InputFrame? Frame { get; private set; }

    /// <summary>The frame's sequence number, echoed in its answer.</summary>
    public ulong Sequence { get; }

    /// <summary>The client's timestamp, echoed in its answer.</summary>
    public long ClientTimestampUs { get; }

    /// <summary>Settings to process it with.</summary>
    public SessionSettings Settings { get; }

    /// <summary>Stopwatch timestamp of receipt.</summary>
    public long ReceivedTimestamp { get; }

    /// <summary>Edge validation error; such a frame is answered with a per-frame error.</summary>
    public string? Error { get; }

    /// <summary>The frame came in over the session's frame-rate cap: it queues (payload released) only to be answered dropped in order.</summary>
    public bool OverFpsCap { get; }

    /// <summary>Lets go of the frame (its pixel data); the answer needs only the header fields.</summary>
    public void ReleasePayload() => Frame = null;
}
