namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// The ingest source of an RTMP push: an ffmpeg that terminates the RTMP connection (its <c>-listen 1</c> mode, on a
/// loopback port only the host's relay reaches) and remuxes the video, unchanged, to MPEG-TS on stdout; from there on
/// an RTMP broadcast runs exactly like an SRT one.
/// </summary>
internal sealed class RtmpIngest : IIngestSource
{
    private readonly FfmpegProcess _remuxer;

    public RtmpIngest(FfmpegProcess remuxer, string peer)
    {
        _remuxer = remuxer;
        Peer = peer;
    }

    public string Transport => "rtmp";

    public string Peer { get; }

    /// <summary>The remuxer's process id.</summary>
    public int? ProcessId => _remuxer.Id;

    public int Receive(Span<byte> buffer)
    {
        try
        {
            var n = _remuxer.Output.Read(buffer);
            return n > 0 ? n : -1;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return -1;
        }
    }

    public void Dispose() => _remuxer.Dispose();

    /// <summary>The remuxer's command line: RTMP listener on <paramref name="port"/> → the first video stream as MPEG-TS.</summary>
    public static string[] RemuxerArguments(int port) =>
    [
        "-hide_banner", "-nostats", "-loglevel", "error",
        // Short probing: FLV metadata names the codec, and ffmpeg's default (5 s of analysis) would hold the start back.
        "-probesize", "100000", "-analyzeduration", "500000",
        "-listen", "1", "-f", "flv", "-i", $"rtmp://127.0.0.1:{port}/live/broadcast",
        "-map", "0:v:0", "-c", "copy", "-flush_packets", "1", "-muxdelay", "0", "-f", "mpegts", "pipe:1",
    ];
}
