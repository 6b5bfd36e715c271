namespace StreamDiffusion.LoadTest.Running;

/// <summary>One <c>Stream</c> call of a stream (a stream makes several when it reconnects).</summary>
/// <param name="Replica">Replica that served it ("" when the call never started).</param>
/// <param name="Status">Final gRPC status code name (OK when the stream finished normally).</param>
/// <param name="Detail">The status message.</param>
/// <param name="StartedAfterMs">Time from opening the call to SessionStarted (null when it never started).</param>
/// <param name="FramesSent">Frames sent on this call.</param>
/// <param name="FramesAnswered">Of those, frames answered.</param>
/// <param name="FirstSequence">Sequence number of the first frame sent on this call (null when none was sent).</param>
public sealed record CallRecord(string Replica, string Status, string Detail, double? StartedAfterMs, long FramesSent, long FramesAnswered, long? FirstSequence);
