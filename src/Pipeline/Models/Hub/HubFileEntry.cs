namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>
/// One file of a Hub repository as listed by <c>GET /api/models/{repo}/tree/{revision}?recursive=true</c>.
/// </summary>
/// <param name="Path">Path inside the repository, '/'-separated (e.g. <c>unet/model.onnx</c>).</param>
/// <param name="Size">Size of the real content in bytes (the LFS object size for LFS files).</param>
/// <param name="GitOid">Git blob id (SHA-1 hex). For LFS files this is the id of the pointer, not the content.</param>
/// <param name="LfsSha256">SHA-256 hex of the content for LFS files; null for files stored in git directly.</param>
public sealed record HubFileEntry(string Path, long Size, string? GitOid, string? LfsSha256)
{
    /// <summary>True when the file is stored through Git LFS (its content hash is <see cref="LfsSha256"/>).</summary>
    public bool IsLfs => LfsSha256 is not null;
}
