using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// The latest output frame of one session, for any number of viewers (MJPEG streams). Latest frame wins: the
/// session overwrites one buffer per frame and never waits for a viewer; a slow viewer skips frames instead of
/// queueing them. Viewers copy the frame out under a short lock and do their slow work (JPEG encoding, network
/// writes) outside it.
/// </summary>
public sealed class FrameBroadcaster
{
    private readonly object _gate = new();
    private byte[] _source = [];
    private int _sourceLength;
    private FrameFormat _format;
    private int _width;
    private int _height;
    private long _version;
    private bool _completed;

    // The JPEG of _source when _source is not JPEG, encoded once by the first viewer that needed it.
    private byte[] _jpeg = [];
    private int _jpegLength;
    private long _jpegVersion = -1;

    // Shared by all waiting viewers; created only when someone waits, completed by the next publish.
    private TaskCompletionSource<bool>? _next;
    private int _viewers;

    /// <summary>Number of the latest published frame (0 before the first).</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>Viewers reading now.</summary>
    public int Viewers => Volatile.Read(ref _viewers);

    /// <summary>True once the session ended: no frame follows.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_gate)
            {
                return _completed;
            }
        }
    }

    /// <summary>
    /// Replaces the latest frame with a copy of <paramref name="data"/>. Called from the session loop: a copy
    /// into a reused buffer and a signal, nothing that waits on a viewer.
    /// </summary>
    public void Publish(ReadOnlySpan<byte> data, FrameFormat format, int width, int height)
    {
        TaskCompletionSource<bool>? next;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            if (_source.Length < data.Length)
            {
                _source = new byte[data.Length];
            }

            data.CopyTo(_source);
            _sourceLength = data.Length;
            _format = format;
            _width = width;
            _height = height;
            _version++;
            next = _next;
            _next = null;
        }

        next?.TrySetResult(true);
    }

    /// <summary>Marks the end of the session: waiting viewers wake up and finish.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? next;
        lock (_gate)
        {
            _completed = true;
            next = _next;
            _next = null;
        }

        next?.TrySetResult(false);
    }

    /// <summary>Registers a viewer (for the viewer count); dispose the result when the viewer leaves.</summary>
    public IDisposable AddViewer()
    {
        Interlocked.Increment(ref _viewers);
        return new ViewerRegistration(this);
    }

    /// <summary>
    /// Waits until a frame newer than <paramref name="seen"/> exists. Returns false when the session ended first.
    /// </summary>
    public async ValueTask<bool> WaitForNewerAsync(long seen, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<bool> next;
            lock (_gate)
            {
                if (_version > seen)
                {
                    return true;
                }

                if (_completed)
                {
                    return false;
                }

                // Continuations run asynchronously so a publish never runs viewer code on the session's thread.
                _next ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                next = _next.Task;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Copies the latest frame into <paramref name="buffer"/> (grown when too small), preferring the cached JPEG
    /// of a non-JPEG frame when there is one.
    /// </summary>
    /// <returns>The copied frame's version, format and size; version 0 when nothing was published yet.</returns>
    public BroadcastFrame CopyLatest(ref byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        lock (_gate)
        {
            var useJpeg = _format != FrameFormat.Jpeg && _jpegVersion == _version;
            var length = useJpeg ? _jpegLength : _sourceLength;
            if (buffer.Length < length)
            {
                buffer = new byte[length];
            }

            (useJpeg ? _jpeg : _source).AsSpan(0, length).CopyTo(buffer);
            return new BroadcastFrame(_version, length, useJpeg ? FrameFormat.Jpeg : _format, _width, _height);
        }
    }

    /// <summary>
    /// Stores the JPEG a viewer encoded for frame <paramref name="version"/>, so other viewers of the same frame
    /// copy it instead of encoding again. Ignored when a newer frame arrived meanwhile.
    /// </summary>
    public void CacheJpeg(long version, ReadOnlySpan<byte> jpeg)
    {
        lock (_gate)
        {
            if (version != _version)
            {
                return;
            }

            if (_jpeg.Length < jpeg.Length)
            {
                _jpeg = new byte[jpeg.Length];
            }

            jpeg.CopyTo(_jpeg);
            _jpegLength = jpeg.Length;
            _jpegVersion = version;
        }
    }

    private sealed class ViewerRegistration(FrameBroadcaster owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._viewers);
            }
        }
    }
}
