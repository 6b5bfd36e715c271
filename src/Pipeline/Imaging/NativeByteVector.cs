using OpenCvSharp.Internal;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// A std::vector&lt;uchar&gt; kept across frames as cv::imencode's output, so encoding reuses its
/// capacity instead of allocating a fresh managed array per frame (Cv2.ImEncode returns a new byte[]).
/// </summary>
internal sealed unsafe class NativeByteVector : IDisposable
{
    private IntPtr _vector;

    public NativeByteVector()
    {
        _vector = NativeMethods.vector_uchar_new1();
    }

    ~NativeByteVector() => Free();

    /// <summary>The std::vector&lt;uchar&gt;*.</summary>
    public IntPtr Ptr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_vector == IntPtr.Zero, this);
            return _vector;
        }
    }

    /// <summary>The vector's current contents (valid until it is written again).</summary>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            var size = checked((int)NativeMethods.vector_uchar_getSize(Ptr));
            return size == 0 ? default : new ReadOnlySpan<byte>((void*)NativeMethods.vector_uchar_getPointer(Ptr), size);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_vector != IntPtr.Zero)
        {
            NativeMethods.vector_uchar_delete(_vector);
            _vector = IntPtr.Zero;
        }
    }
}
