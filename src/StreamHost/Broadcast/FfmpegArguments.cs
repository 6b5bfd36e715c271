using System.Globalization;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>The ffmpeg command lines of a broadcast's decoder and encoder.</summary>
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
}
