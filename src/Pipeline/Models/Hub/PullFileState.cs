namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>Where one file of a pull stands.</summary>
public enum PullFileState
{
    /// <summary>Bytes are arriving (or about to).</summary>
    Downloading,

    /// <summary>The download is complete and its hash is being checked.</summary>
    Verifying,

    /// <summary>The file is downloaded and verified.</summary>
    Done,

    /// <summary>The file was already present and verified in the staging folder from an earlier run.</summary>
    Reused,
}
