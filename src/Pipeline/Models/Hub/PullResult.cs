namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>The outcome of a successful pull.</summary>
/// <param name="OutputDirectory">Full path of the pack folder.</param>
/// <param name="Repository">Repository id.</param>
/// <param name="Revision">Requested revision.</param>
/// <param name="Commit">Commit the Hub resolved the revision to (from <c>X-Repo-Commit</c>), when it said.</param>
/// <param name="Files">The files of the pack.</param>
/// <param name="TotalBytes">Sum of the file sizes.</param>
/// <param name="DownloadedBytes">Bytes received in this run (less than the total when resuming).</param>
/// <param name="VerifiedFiles">Files whose content hash was checked (SHA-256 for LFS files, git blob id otherwise).</param>
/// <param name="ReusedFiles">Files already complete in the staging folder from an earlier run.</param>
/// <param name="AlreadyUpToDate">True when the output folder already held exactly this pack and nothing was downloaded.</param>
public sealed record PullResult(
    string OutputDirectory,
    string Repository,
    string Revision,
    string? Commit,
    IReadOnlyList<HubFileEntry> Files,
    long TotalBytes,
    long DownloadedBytes,
    int VerifiedFiles,
    int ReusedFiles,
    bool AlreadyUpToDate);
