using System.Reflection;
using System.Runtime.InteropServices;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// The few libsrt calls the broadcast listeners need (Debian's libsrt 1.5, which its ffmpeg also links). The host
/// speaks SRT itself, rather than through an ffmpeg listener, because an ffmpeg listener accepts one connection and
/// never shows the caller's stream id: with libsrt one UDP port accepts many broadcasters and routes each by key.
/// </summary>
internal static unsafe partial class SrtNative
{
    public const string Library = "srt";

    public const int Error = -1;
    public const int InvalidSocket = -1;

    // SRT_SOCKOPT values (srt.h); stable since libsrt 1.3.
    public const int OptSendSync = 1;
    public const int OptReceiveSync = 2;
    public const int OptSendTimeout = 13;
    public const int OptReceiveTimeout = 14;
    public const int OptLatency = 23;
    public const int OptStreamId = 46;

    // Rejection reasons a listen callback may set: SRT_REJC_PREDEFINED (1000) + an HTTP status.
    public const int RejectOverload = 1402;
    public const int RejectForbidden = 1403;
    public const int RejectNotFound = 1404;
    public const int RejectConflict = 1409;

    // syslog's LOG_CRIT, the level libsrt logs at and above.
    public const int LogCritical = 2;

    // SRT_ERRNO values seen while receiving.
    public const int ErrorTimeout = 6003;

    private static readonly string[] s_candidates =
        ["libsrt-gnutls.so.1.5", "libsrt-openssl.so.1.5", "libsrt.so.1.5", "libsrt.so.1", "libsrt.so", "libsrt.dylib", "srt.dll"];

    private static int s_started;

    static SrtNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(SrtNative).Assembly, Resolve);
    }

    /// <summary>True when libsrt can be loaded on this machine.</summary>
    public static bool IsAvailable()
    {
        try
        {
            Startup();
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Initialises libsrt once per process (srt_startup is reference counted; it is never cleaned up).</summary>
    public static void Startup()
    {
        if (Interlocked.Exchange(ref s_started, 1) == 0)
        {
            if (srt_startup() < 0)
            {
                Interlocked.Exchange(ref s_started, 0);
                throw new IOException("srt_startup failed: " + LastError());
            }

            // Errors the host handles itself (a closed listener at shutdown, a refused caller) are not printed to stderr.
            srt_setloglevel(LogCritical);
        }
    }

    /// <summary>libsrt's message for the calling thread's last error.</summary>
    public static string LastError() => Marshal.PtrToStringUTF8(srt_getlasterror_str()) ?? "unknown SRT error";

    /// <summary>The calling thread's last error code (SRT_ERRNO).</summary>
    public static int LastErrorCode() => srt_getlasterror(null);

    [LibraryImport(Library)]
    public static partial int srt_startup();

    [LibraryImport(Library)]
    public static partial void srt_setloglevel(int level);

    [LibraryImport(Library)]
    public static partial int srt_create_socket();

    [LibraryImport(Library)]
    public static partial int srt_bind(int socket, byte* address, int length);

    [LibraryImport(Library)]
    public static partial int srt_listen(int socket, int backlog);

    [LibraryImport(Library)]
    public static partial int srt_accept(int socket, byte* address, int* length);

    [LibraryImport(Library)]
    public static partial int srt_listen_callback(int socket, delegate* unmanaged[Cdecl]<nint, int, int, nint, byte*, int> hook, nint opaque);

    [LibraryImport(Library)]
    public static partial int srt_setrejectreason(int socket, int reason);

    [LibraryImport(Library)]
    public static partial int srt_close(int socket);

    [LibraryImport(Library)]
    public static partial int srt_recvmsg(int socket, byte* buffer, int length);

    [LibraryImport(Library)]
    public static partial int srt_sendmsg(int socket, byte* buffer, int length, int ttl, int inOrder);

    [LibraryImport(Library)]
    public static partial int srt_setsockflag(int socket, int option, void* value, int length);

    [LibraryImport(Library)]
    public static partial int srt_getsockflag(int socket, int option, void* value, int* length);

    [LibraryImport(Library)]
    public static partial int srt_getsockname(int socket, byte* address, int* length);

    [LibraryImport(Library)]
    public static partial nint srt_getlasterror_str();

    [LibraryImport(Library)]
    public static partial int srt_getlasterror(int* systemError);

    /// <summary>Sets an int option; throws with libsrt's message on failure.</summary>
    public static void SetInt(int socket, int option, int value)
    {
        if (srt_setsockflag(socket, option, &value, sizeof(int)) == Error)
        {
            throw new IOException($"srt_setsockflag({option}) failed: {LastError()}");
        }
    }

    /// <summary>The stream id a caller sent (SRTO_STREAMID), or an empty string.</summary>
    public static string StreamId(int socket)
    {
        var buffer = stackalloc byte[513];
        var length = 512;
        return srt_getsockflag(socket, OptStreamId, buffer, &length) == Error || length <= 0
            ? string.Empty
            : Marshal.PtrToStringUTF8((nint)buffer, length);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
        {
            return 0;
        }

        foreach (var candidate in s_candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }
}
