namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// Broadcast ingest and output (configuration section <c>Broadcast</c>): OBS-style tools push SRT to
/// <c>srt://host:SrtPort?streamid=KEY</c> or RTMP to <c>rtmp://host:RtmpPort/live/KEY</c>; players read the result from <c>srt://host:SrtOutputPort?streamid=KEY</c>.
/// Off unless <see cref="Enabled"/>; a port of 0 lets the OS choose (tests), -1 turns that listener off.
/// </summary>
public sealed class BroadcastOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Broadcast";

    /// <summary>Whether the host listens for broadcasts at all.</summary>
    public bool Enabled { get; set; }

    /// <summary>IPv4 address the SRT listeners bind (0.0.0.0 for every interface).</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>UDP port of the SRT ingest listener (MPEG-TS inside).</summary>
    public int SrtPort { get; set; } = 9000;

    /// <summary>UDP port players connect to for a broadcast's output (MPEG-TS, H.264 zerolatency).</summary>
    public int SrtOutputPort { get; set; } = 9001;

    /// <summary>TCP port of the RTMP ingest (<c>rtmp://host:RtmpPort/live/KEY</c>).</summary>
    public int RtmpPort { get; set; } = 1935;

    /// <summary>SRT latency (receiver buffer) in milliseconds; 120 is libsrt's default, lower for loopback.</summary>
    public int SrtLatencyMs { get; set; } = 120;

    /// <summary>ffmpeg executable that decodes ingest and encodes output.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>A broadcaster that sends nothing for this long is disconnected and its session ended.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A broadcast whose decoder has produced no picture this long after it connected is not video (or not a kind
    /// ffmpeg can read): it is ended with INVALID_ARGUMENT. ffmpeg's MPEG-TS demuxer keeps hunting for sync in an
    /// endless stream of garbage, so this deadline is what ends such a broadcaster.
    /// </summary>
    public TimeSpan FirstFrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many players per broadcast output.</summary>
    public int MaxViewersPerBroadcast { get; set; } = 8;

    /// <summary>x264 keyframe interval of the output in frames (how soon a newly connected player sees a picture).</summary>
    public int OutputKeyframeInterval { get; set; } = 30;

    /// <summary>Whether each broadcast also writes HLS for browsers (<c>/broadcasts/KEY/hls/index.m3u8</c>; one more ffmpeg per broadcast).</summary>
    public bool HlsEnabled { get; set; } = true;

    /// <summary>Where HLS folders go, one per broadcast session, deleted when it ends; empty = the temp folder's <c>streamdiffusion-hls</c>.</summary>
    public string HlsDirectory { get; set; } = string.Empty;

    /// <summary>Target HLS segment length; segments are cut at keyframes, so <see cref="OutputKeyframeInterval"/> sets the floor.</summary>
    public TimeSpan HlsSegmentDuration { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Segments in the HLS playlist (older ones are deleted): what bounds each broadcast's disk use.</summary>
    public int HlsListSize { get; set; } = 6;

    /// <summary>The HLS root folder in effect.</summary>
    public string HlsRoot => string.IsNullOrWhiteSpace(HlsDirectory) ? Path.Combine(Path.GetTempPath(), "streamdiffusion-hls") : HlsDirectory;

    /// <summary>Stream keys known at start, each with its session configuration; more can be added over HTTP.</summary>
    public Dictionary<string, BroadcastProfileOptions> Keys { get; set; } = new(StringComparer.Ordinal);
}
