using StreamDiffusion.Pipeline.Models.Onnx;

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

    /// <summary>
    /// Replaces <paramref name="buffer"/> by a larger pinned buffer when it holds fewer than
    /// <paramref name="length"/> elements; returns whether it did (values bound to the old one are then stale).
    /// </summary>
    public static bool Ensure<T>(ref PinnedBuffer<T>? buffer, int length)
        where T : unmanaged
    {
        if (buffer is not null && buffer.Length >= length)
        {
            return false;
        }

        // Contents are always overwritten by staging before use.
        buffer = new PinnedBuffer<T>(length);
        return true;
    }
}
