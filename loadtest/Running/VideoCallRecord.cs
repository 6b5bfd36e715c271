namespace StreamDiffusion.LoadTest.Running;

/// <summary>One <c>GenerateVideo</c> call of a run.</summary>
/// <param name="Index">Video stream number (0-based).</param>
/// <param name="Replica">Replica that served it ("" when it never answered).</param>
/// <param name="Status">Final status code name; OK also for a call the load test ended at its duration.</param>
/// <param name="Detail">The status message.</param>
/// <param name="Frames">Frames received.</param>
/// <param name="LastIndex">The last frame's index (frames arrive in index order; -1 when none came).</param>
public sealed record VideoCallRecord(int Index, string Replica, string Status, string Detail, long Frames, long LastIndex);
