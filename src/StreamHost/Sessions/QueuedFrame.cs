using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>An input frame waiting in a session's queue, with the settings current when it arrived.</summary>
/// <param name="Frame">The client's frame.</param>
/// <param name="Settings">Settings to process it with.</param>
/// <param name="ReceivedTimestamp">Stopwatch timestamp of receipt.</param>
/// <param name="Error">Edge validation error; such a frame is answered with a per-frame error.</param>
internal sealed record QueuedFrame(InputFrame Frame, SessionSettings Settings, long ReceivedTimestamp, string? Error);
