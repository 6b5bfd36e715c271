using OpenCvSharp;
using OpenCvSharp.Internal;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// A cv::Mat driven through OpenCvSharp's native entry points, with its cv::_InputArray and
/// cv::_OutputArray proxies created once and kept. The managed Cv2 wrappers build (and dispose) a new
/// proxy object per call, which is a managed allocation per frame; going through NativeMethods with
/// cached proxies keeps the steady-state hot path free of managed allocations. The proxies hold the
/// address of the cv::Mat object, which stays the same across create() / reallocation.
/// </summary>
internal sealed unsafe class NativeMat : IDisposable
{
    private IntPtr _mat;
    private IntPtr _input;
    private IntPtr _output;

    /// <summary>Creates an empty matrix.</summary>
    public NativeMat()
    {
        NativeCv.Check(NativeMethods.core_Mat_new1(out _mat));
    }

    ~NativeMat() => Free();

    /// <summary>Rows (height).</summary>
    public int Rows
    {
        get
        {
            NativeCv.Check(NativeMethods.core_Mat_rows(Ptr, out var rows));
            return rows;
        }
    }

    /// <summary>Columns (width).</summary>
    public int Cols
    {
        get
        {
            NativeCv.Check(NativeMethods.core_Mat_cols(Ptr, out var cols));
            return cols;
        }
    }

    /// <summary>Whether the matrix holds no data.</summary>
    public bool IsEmpty
    {
        get
        {
            if (_mat == IntPtr.Zero)
            {
                return true;
            }

            NativeCv.Check(NativeMethods.core_Mat_empty(_mat, out var empty));
            return empty != 0;
        }
    }

    /// <summary>Channels per pixel.</summary>
    public int Channels
    {
        get
        {
            NativeCv.Check(NativeMethods.core_Mat_channels(Ptr, out var channels));
            return channels;
        }
    }

    /// <summary>Element type (e.g. CV_8UC3).</summary>
    public int Type
    {
        get
        {
            NativeCv.Check(NativeMethods.core_Mat_type(Ptr, out var type));
            return type;
        }
    }

    /// <summary>Address of the first pixel.</summary>
    public byte* Data
    {
        get
        {
            NativeCv.Check(NativeMethods.core_Mat_data(Ptr, out var data));
            return data;
        }
    }

    /// <summary>Bytes from one row to the next.</summary>
    public int Step
    {
        get
        {
            NativeCv.Check(NativeMethods.core_Mat_step(Ptr, out var step));
            return checked((int)step);
        }
    }

    /// <summary>The cv::Mat*.</summary>
    public IntPtr Ptr
    {
        get
        {
            ObjectDisposedException.ThrowIf(_mat == IntPtr.Zero, this);
            return _mat;
        }
    }

    /// <summary>A cv::_InputArray* over this matrix, created on first use and kept.</summary>
    public IntPtr Input
    {
        get
        {
            if (_input == IntPtr.Zero)
            {
                NativeCv.Check(NativeMethods.core_InputArray_new_byMat(Ptr, out _input));
            }

            return _input;
        }
    }

    /// <summary>A cv::_OutputArray* over this matrix, created on first use and kept.</summary>
    public IntPtr Output
    {
        get
        {
            if (_output == IntPtr.Zero)
            {
                NativeCv.Check(NativeMethods.core_OutputArray_new_byMat(Ptr, out _output));
            }

            return _output;
        }
    }

    /// <summary>(Re)allocates the matrix; a no-op when size and type already match (cv::Mat::create).</summary>
    public void Create(int rows, int cols, MatType type) =>
        NativeCv.Check(NativeMethods.core_Mat_create1(Ptr, rows, cols, type));

    /// <summary>
    /// Replaces the matrix with <paramref name="mat"/> (a cv::Mat* this object now owns), e.g. the
    /// result of imdecode. Native allocations only; the managed object is reused.
    /// </summary>
    public void Attach(IntPtr mat)
    {
        ReleaseNative();
        _mat = mat;
    }

    /// <summary>
    /// Makes this matrix a header over caller memory (no copy). The memory must stay pinned and alive
    /// while the matrix is used; call <see cref="Reset"/> before it goes away.
    /// </summary>
    public void WrapPixels(int rows, int cols, MatType type, byte* data, int step)
    {
        NativeCv.Check(NativeMethods.core_Mat_new8(rows, cols, type, (IntPtr)data, step, out var header));
        Attach(header);
    }

    /// <summary>Drops the current matrix (and any borrowed memory) and becomes an empty matrix.</summary>
    public void Reset()
    {
        ReleaseNative();
        NativeCv.Check(NativeMethods.core_Mat_new1(out _mat));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free() => ReleaseNative();

    private void ReleaseNative()
    {
        // Proxies point at the cv::Mat object, so they go first.
        if (_input != IntPtr.Zero)
        {
            _ = NativeMethods.core_InputArray_delete(_input);
            _input = IntPtr.Zero;
        }

        if (_output != IntPtr.Zero)
        {
            _ = NativeMethods.core_OutputArray_delete(_output);
            _output = IntPtr.Zero;
        }

        if (_mat != IntPtr.Zero)
        {
            _ = NativeMethods.core_Mat_delete(_mat);
            _mat = IntPtr.Zero;
        }
    }
}
