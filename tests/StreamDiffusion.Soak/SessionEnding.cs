namespace StreamDiffusion.Soak;

/// <summary>How a soak client ends one of its sessions: the ways real clients leave.</summary>
public enum SessionEnding
{
    /// <summary>Completes its request stream and reads every answer.</summary>
    Clean,

    /// <summary>Cancels the call right after writing its config (the lock-out defect of issue 8).</summary>
    CancelAfterConfig,

    /// <summary>Cancels the call in the middle of the stream.</summary>
    CancelMidStream,

    /// <summary>Keeps sending but stops reading answers for a while, then cancels.</summary>
    SlowReader,

    /// <summary>Drops its whole connection without a word (a killed client).</summary>
    Vanish,
}
