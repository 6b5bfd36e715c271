namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Grow-only staging arrays owned by an engine loop: they reach the largest batch seen and stay,
/// so steady-state calls allocate nothing of tensor size.
/// </summary>
internal static class GrowBuffer
{
    /// <summary>Returns <paramref name="buffer"/>, replaced by a larger array when it holds fewer than <paramref name="length"/> elements.</summary>
    public static T[] Ensure<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            // Contents are always overwritten by staging before use.
            buffer = GC.AllocateUninitializedArray<T>(length);
        }

        return buffer;
    }
}
