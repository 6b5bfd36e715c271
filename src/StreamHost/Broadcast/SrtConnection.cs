namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// One accepted SRT connection (live mode: each message is at most 1316 bytes, seven TS packets). Reads and writes
/// block their thread, bounded by the receive timeout set at accept; <see cref="Dispose"/> closes the socket, which
/// also ends a read blocked on another thread.
/// </summary>
internal sealed unsafe class SrtConnection : IIngestSource
{
    /// <summary>Largest payload of one SRT live-mode message.</summary>
    public const int MaxPayload = 1316;

    private int _socket;

    public SrtConnection(int socket, string streamId, string peer)
    {
        _socket = socket;
        StreamId = streamId;
        Peer = peer;
    }

    /// <summary>The stream id the caller connected with (the broadcast key).</summary>
    public string StreamId { get; }

    public string Transport => "srt";

    public int? ProcessId => null;

    /// <summary>The caller's address, for logs and /sessions.</summary>
    public string Peer { get; }

    /// <summary>
    /// Receives one message into <paramref name="buffer"/> (at least <see cref="MaxPayload"/> bytes): its length,
    /// 0 when nothing came within the receive timeout, or -1 when the connection is closed or broken.
    /// </summary>
    public int Receive(Span<byte> buffer)
    {
        var socket = Volatile.Read(ref _socket);
        if (socket == SrtNative.InvalidSocket)
        {
            return -1;
        }

        int n;
        fixed (byte* p = buffer)
        {
            n = SrtNative.srt_recvmsg(socket, p, buffer.Length);
        }

        if (n >= 0)
        {
            return n;
        }

        return SrtNative.LastErrorCode() == SrtNative.ErrorTimeout ? 0 : -1;
    }

    /// <summary>Sends <paramref name="data"/> in live-mode messages; false when the connection is gone or full.</summary>
    public bool Send(ReadOnlySpan<byte> data)
    {
        var socket = Volatile.Read(ref _socket);
        if (socket == SrtNative.InvalidSocket)
        {
            return false;
        }

        fixed (byte* p = data)
        {
            for (var offset = 0; offset < data.Length; offset += MaxPayload)
            {
                var length = Math.Min(MaxPayload, data.Length - offset);
                if (SrtNative.srt_sendmsg(socket, p + offset, length, -1, 0) == SrtNative.Error)
                {
                    return false;
                }
            }
        }

        return true;
    }

    public void Dispose()
    {
        var socket = Interlocked.Exchange(ref _socket, SrtNative.InvalidSocket);
        if (socket != SrtNative.InvalidSocket)
        {
            SrtNative.srt_close(socket);
        }
    }
}
