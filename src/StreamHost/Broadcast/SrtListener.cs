using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// An SRT listener on one UDP port that admits callers by stream id. The admission check runs in libsrt's
/// handshake (a listen callback), so a wrong key is refused before any media flows, with a reason the caller's
/// log shows (SRT_REJX_NOTFOUND / CONFLICT). Accepted connections come from <see cref="Accept"/>, which blocks a
/// dedicated thread until <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class SrtListener : IDisposable
{
    private readonly Func<string, int> _admit;
    private readonly int _receiveTimeoutMs;
    private GCHandle _self;
    private int _socket;

    /// <param name="endpoint">IPv4 address and port; port 0 lets the OS choose (see <see cref="Port"/>).</param>
    /// <param name="admit">Stream id → 0 to accept, or an SRT rejection reason. Runs on libsrt's thread: keep it quick.</param>
    /// <param name="receiveTimeoutMs">Receive timeout of accepted connections (their reads return 0 after it).</param>
    /// <param name="latencyMs">SRT latency (receiver buffer) in milliseconds.</param>
    public SrtListener(IPEndPoint endpoint, Func<string, int> admit, int receiveTimeoutMs, int latencyMs)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("SRT listeners bind IPv4 addresses", nameof(endpoint));
        }

        _admit = admit;
        _receiveTimeoutMs = receiveTimeoutMs;
        SrtNative.Startup();
        _socket = SrtNative.srt_create_socket();
        if (_socket == SrtNative.InvalidSocket)
        {
            throw new IOException("srt_create_socket failed: " + SrtNative.LastError());
        }

        try
        {
            SrtNative.SetInt(_socket, SrtNative.OptLatency, latencyMs);
            var address = stackalloc byte[16];
            WriteAddress(endpoint, new Span<byte>(address, 16));
            if (SrtNative.srt_bind(_socket, address, 16) == SrtNative.Error)
            {
                throw new IOException($"SRT cannot listen on {endpoint}: {SrtNative.LastError()}");
            }

            _self = GCHandle.Alloc(this);
            if (SrtNative.srt_listen_callback(_socket, &OnHandshake, GCHandle.ToIntPtr(_self)) == SrtNative.Error
                || SrtNative.srt_listen(_socket, 16) == SrtNative.Error)
            {
                throw new IOException($"SRT cannot listen on {endpoint}: {SrtNative.LastError()}");
            }

            var length = 16;
            SrtNative.srt_getsockname(_socket, address, &length);
            Port = (address[2] << 8) | address[3];
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The UDP port listened on.</summary>
    public int Port { get; }

    /// <summary>Blocks until a caller is admitted; null once the listener is closed.</summary>
    public SrtConnection? Accept()
    {
        var address = stackalloc byte[16];
        while (true)
        {
            var listener = Volatile.Read(ref _socket);
            if (listener == SrtNative.InvalidSocket)
            {
                return null;
            }

            var length = 16;
            var socket = SrtNative.srt_accept(listener, address, &length);
            if (socket == SrtNative.InvalidSocket)
            {
                // Closed under us (shutdown), or a handshake that failed half way: only the first ends the loop.
                if (Volatile.Read(ref _socket) == SrtNative.InvalidSocket)
                {
                    return null;
                }

                Thread.Sleep(10);
                continue;
            }

            SrtNative.SetInt(socket, SrtNative.OptReceiveTimeout, _receiveTimeoutMs);

            // Sends never wait: a viewer that cannot keep up loses packets, the session does not stall.
            SrtNative.SetInt(socket, SrtNative.OptSendSync, 0);
            var peer = length >= 8 ? $"{address[4]}.{address[5]}.{address[6]}.{address[7]}:{(address[2] << 8) | address[3]}" : "unknown";
            return new SrtConnection(socket, SrtNative.StreamId(socket), peer);
        }
    }

    public void Dispose()
    {
        var socket = Interlocked.Exchange(ref _socket, SrtNative.InvalidSocket);
        if (socket != SrtNative.InvalidSocket)
        {
            SrtNative.srt_close(socket);
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    private static void WriteAddress(IPEndPoint endpoint, Span<byte> sockaddrIn)
    {
        sockaddrIn.Clear();
        sockaddrIn[0] = (byte)AddressFamily.InterNetwork; // sa_family, little-endian on Linux
        sockaddrIn[2] = (byte)(endpoint.Port >> 8);
        sockaddrIn[3] = (byte)endpoint.Port;
        endpoint.Address.TryWriteBytes(sockaddrIn[4..8], out _);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnHandshake(nint opaque, int socket, int handshakeVersion, nint peer, byte* streamId)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is not SrtListener listener)
            {
                return -1;
            }

            var key = streamId is null ? string.Empty : Marshal.PtrToStringUTF8((nint)streamId) ?? string.Empty;
            var reason = listener._admit(key);
            if (reason == 0)
            {
                return 0;
            }

            SrtNative.srt_setrejectreason(socket, reason);
            return -1;
        }
        catch (Exception)
        {
            // Nothing may unwind into libsrt.
            return -1;
        }
    }
}
