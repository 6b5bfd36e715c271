using System.Globalization;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>The ffmpeg command lines of a broadcast's decoder, encoder and HLS segmenter.</summary>
internal static class FfmpegArguments
{
    /// <summary>
    /// MPEG-TS on stdin → raw RGB24 frames of exactly width x height on stdout (scaled to cover, then centre
    /// cropped, as the pipeline would), one per input frame, as soon as each is decoded.
    /// </summary>
    public static string[] Decoder(int width, int height)
    {
        var w = width.ToString(CultureInfo.InvariantCulture);
        var h = height.ToString(CultureInfo.InvariantCulture);
        return
        [
            "-hide_banner", "-nostats", "-loglevel", "warning",
            "-flags", "low_delay",
            "-probesize", "500000", "-analyzeduration", "500000",
            "-f", "mpegts", "-i", "pipe:0",
            "-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", $"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}",
            "-pix_fmt", "rgb24", "-fps_mode", "passthrough",
            "-f", "rawvideo", "pipe:1",
        ];
    }

    /// <summary>
    /// Raw RGB24 frames on stdin, stamped with the time each arrives (so the output's frame rate is the rate the
    /// pipeline delivers, following the input) → H.264 (ultrafast, zerolatency, no B-frames) in MPEG-TS on stdout,
    /// flushed per packet.
    /// </summary>
    public static string[] Encoder(string size, int keyframeInterval) =>
    [
        "-hide_banner", "-nostats", "-loglevel", "warning",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", size,
        "-use_wallclock_as_timestamps", "1", "-i", "pipe:0",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
        "-g", keyframeInterval.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p",
        "-fps_mode", "passthrough",
        "-flush_packets", "1", "-muxdelay", "0", "-muxpreload", "0",
        "-f", "mpegts", "pipe:1",
    ];

    /// <summary>
    /// The encoder's MPEG-TS on stdin → HLS in <paramref name="folder"/>: the H.264 copied into MPEG-TS segments of
    /// about <paramref name="segmentDuration"/> (cut at the next keyframe, so the output keyframe interval sets the
    /// floor), a playlist of the last <paramref name="listSize"/> segments, older ones deleted. Segments are written
    /// under a temporary name and renamed when complete, so the host never serves half a file; numbering starts at
    /// the current epoch second, so a key's next broadcast never reuses a name a player may have cached.
    /// </summary>
    public static string[] HlsSegmenter(string folder, TimeSpan segmentDuration, int listSize) =>
    [
        "-hide_banner", "-nostats", "-loglevel", "warning",
        "-f", "mpegts", "-i", "pipe:0",
        "-map", "0:v:0", "-c", "copy",
        "-f", "hls",
        "-hls_time", segmentDuration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
        "-hls_list_size", listSize.ToString(CultureInfo.InvariantCulture),
        "-hls_delete_threshold", "2",
        "-hls_flags", "delete_segments+independent_segments+temp_file+program_date_time+omit_endlist",
        "-hls_start_number_source", "epoch",
        "-hls_segment_type", "mpegts",
        "-hls_segment_filename", Path.Combine(folder, "seg%d.ts"),
        Path.Combine(folder, Broadcast.HlsSegmenter.PlaylistName),
    ];
}
