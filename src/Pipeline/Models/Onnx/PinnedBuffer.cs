using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>
/// A managed array on the pinned object heap: it never moves, so ONNX Runtime values created once
/// over its address stay valid for every later call (<see cref="OnnxBoundCall"/>), and the engines'
/// staging copies write straight into what the session reads and read what it wrote.
/// </summary>
/// <typeparam name="T">An unmanaged element type (float, long, int).</typeparam>
public sealed class PinnedBuffer<T>
    where T : unmanaged
{
    private readonly T[] _array;

    /// <summary>Allocates <paramref name="length"/> elements (contents unspecified until written).</summary>
    public PinnedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _array = GC.AllocateUninitializedArray<T>(length, pinned: true);
    }

    /// <summary>Elements held.</summary>
    public int Length => _array.Length;

    /// <summary>The elements.</summary>
    public Span<T> Span => _array;

    /// <summary>The elements as memory (for APIs that take <see cref="Memory{T}"/>).</summary>
    public Memory<T> Memory => _array;

    /// <summary>Address of the first element; fixed for the buffer's lifetime.</summary>
    internal unsafe nint Address => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
}
