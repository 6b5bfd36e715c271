namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>A progress report for one file of a pull.</summary>
/// <param name="File">Path of the file inside the repository.</param>
/// <param name="BytesDone">Bytes downloaded (or hashed, while verifying) so far.</param>
/// <param name="TotalBytes">Size of the file.</param>
/// <param name="FileIndex">Zero-based index of the file in the pull.</param>
/// <param name="FileCount">Number of files in the pull.</param>
/// <param name="State">What is happening to the file.</param>
public readonly record struct PullProgress(string File, long BytesDone, long TotalBytes, int FileIndex, int FileCount, PullFileState State);
