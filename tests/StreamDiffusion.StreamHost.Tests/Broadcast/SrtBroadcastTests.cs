using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamDiffusion.StreamHost.Tests.Web;
using static StreamDiffusion.StreamHost.Tests.Broadcast.BroadcastTestHost;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>
/// Broadcasts over SRT with Debian's ffmpeg as the broadcaster and as the player: the session appears, its output is
/// readable over SRT and MJPEG and follows the input, a live prompt change shows, and bad broadcasters (garbage, a
/// wrong key, a disconnect) end cleanly with their decoder and encoder processes gone.
/// </summary>
public sealed class SrtBroadcastTests
{
    private const int FrameBytes = Size * Size * 3;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [FfmpegFact]
    public async Task Output_follows_the_input_over_srt_and_mjpeg_and_a_live_prompt_change_shows()
    {
        await using var host = await StartAsync("Broadcast:Keys:show:Prompt=plain", $"Broadcast:Keys:show:Width={Size}", $"Broadcast:Keys:show:Height={Size}");
        var astronaut = await ReferenceAsync("astronaut.png");
        var coffee = await ReferenceAsync("coffee.png");
        Assert.True(Correlation(astronaut, coffee) < 0.5, "the two photos must be told apart");

        // Five seconds of one photo (time for the session and the player to start on a loaded machine), then another.
        using var broadcaster = FfmpegChild.Broadcast(host.IngestUrl("show"),
            TwoStills("astronaut.png", 5, "coffee.png"));
        var session = await host.WaitLiveAsync("show", s_wait);
        Assert.True(session is not null, "no live broadcast: " + broadcaster.Log);

        // Listed for /sessions like any session, under its transport.
        using (var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))))
        {
            var entry = list.RootElement.GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("id").GetString() == session.SessionId);
            Assert.Equal("srt", entry.GetProperty("transport").GetString());
        }

        using (var player = FfmpegChild.Play(host.OutputUrl("show"), Size, Size))
        {
            // The output shows the first photo, then the second.
            var toAstronaut = await ReadUntilAsync(player, astronaut, 0.9, s_wait);
            Assert.True(toAstronaut is not null, "the output never showed the first photo: " + player.Log);
            var toCoffee = await ReadUntilAsync(player, coffee, 0.9, s_wait);
            Assert.True(toCoffee is not null, "the output never showed the second photo: " + player.Log);

            // A live prompt change over HTTP: the output turns into the negative of the input.
            var response = await host.Http.PostAsJsonAsync(new Uri("/broadcasts/show/control", UriKind.Relative), new { prompt = "negative" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"live\":true", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var toNegative = await ReadUntilAsync(player, coffee, -0.9, s_wait);
            Assert.True(toNegative is not null, "the prompt change never showed: " + player.Log);
        }

        // The same output as MJPEG for a browser source.
        using (var viewer = FfmpegChild.Play(new Uri(host.HttpAddress, $"/sessions/{session.SessionId}/mjpeg").ToString(), Size, Size, "-f", "mpjpeg"))
        {
            var frame = await viewer.ReadFrameAsync(FrameBytes, s_wait);
            Assert.True(frame is not null, "no MJPEG frame: " + viewer.Log);
            Assert.True(Correlation(frame, coffee) < -0.9, "the MJPEG frame is the negative of the input");
        }

        // The configuration kept the change, for the next broadcast with this key.
        Assert.Equal("negative", host.Server().Profiles["show"].Prompt);

        // The broadcaster stops mid-stream: the session ends and takes its ffmpeg processes with it.
        var decoder = session.DecoderPid!.Value;
        var encoder = session.EncoderPid!.Value;
        var segmenter = session.HlsPid!.Value;
        Assert.True(IsRunning(decoder) && IsRunning(encoder) && IsRunning(segmenter));
        broadcaster.Quit();
        Assert.Equal("disconnected", await host.WaitEndedAsync("show", s_wait));
        Assert.False(IsRunning(decoder), "decoder left running");
        Assert.False(IsRunning(encoder), "encoder left running");
        Assert.False(IsRunning(segmenter), "HLS segmenter left running");

        // Frames in and out, latency per encoded frame and the codecs' CPU time are in /metrics.
        var metrics = await MetricsText.ReadAsync(host);
        var framesIn = metrics.Value("streamdiffusion_broadcast_frames_total", "direction=\"in\"");
        var framesOut = metrics.Value("streamdiffusion_broadcast_frames_total", "direction=\"out\"");
        Assert.True(framesIn >= framesOut && framesOut > 30, $"frames in {framesIn}, out {framesOut}");
        Assert.Equal(framesOut, metrics.Value("streamdiffusion_broadcast_latency_seconds_count"));
        // CPU time comes in 10 ms ticks: a few seconds of 64x64 encoding may round to 0, decoding 256x256 does not.
        Assert.True(metrics.Value("streamdiffusion_broadcast_codec_cpu_seconds_total", "role=\"decoder\"") > 0);
        Assert.True(metrics.Value("streamdiffusion_broadcast_codec_cpu_seconds_total", "role=\"encoder\"") >= 0);
        Assert.True(metrics.Value("streamdiffusion_broadcast_codec_frames_total", "role=\"encoder\"") > 0);
    }

    [FfmpegFact]
    public async Task A_wrong_key_is_refused_in_the_handshake()
    {
        await using var host = await StartAsync("Broadcast:Keys:right:Prompt=p");
        using var broadcaster = FfmpegChild.Broadcast(host.IngestUrl("wrong"), Still("coffee.png", 1));
        Assert.True(await broadcaster.WaitForExitAsync(s_wait), "ffmpeg kept running against a wrong key");
        Assert.NotEqual(0, broadcaster.ExitCode);
        Assert.Contains("reject", broadcaster.Log, StringComparison.OrdinalIgnoreCase);
        Assert.False(host.Server().TryGetLive("wrong", out _));
        Assert.Equal(1, (await MetricsText.ReadAsync(host)).Value("streamdiffusion_broadcast_rejected_total", "reason=\"unknown_key\""));
    }

    [FfmpegFact]
    public async Task A_garbage_stream_ends_its_session_with_the_reason_and_the_host_keeps_serving()
    {
        await using var host = await StartAsync("Broadcast:Keys:noise:Prompt=p", $"Broadcast:Keys:noise:Width={Size}", $"Broadcast:Keys:noise:Height={Size}");

        // Random bytes at about 2 MB/s, sent as they are (no MPEG-TS inside).
        using var broadcaster = FfmpegChild.Start("-re", "-f", "rawvideo", "-pix_fmt", "gray", "-video_size", "320x240", "-framerate", "25",
            "-i", "/dev/urandom", "-c", "copy", "-f", "rawvideo", host.IngestUrl("noise"));
        var session = await host.WaitLiveAsync("noise", s_wait);
        Assert.True(session is not null, "no live broadcast: " + broadcaster.Log);
        var outcome = await host.WaitEndedAsync("noise", s_wait);
        Assert.NotNull(outcome);
        Assert.StartsWith("INVALID_ARGUMENT: broadcast 'noise': no video could be decoded", outcome, StringComparison.Ordinal);
        Assert.False(IsRunning(session.DecoderPid!.Value), "decoder left running");
        Assert.False(IsRunning(session.EncoderPid!.Value), "encoder left running");
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }

    [FfmpegFact]
    public async Task A_broadcaster_that_vanishes_is_ended_after_the_idle_timeout()
    {
        await using var host = await StartAsync("Broadcast:Keys:crash:Prompt=p", $"Broadcast:Keys:crash:Width={Size}", $"Broadcast:Keys:crash:Height={Size}");
        using var broadcaster = FfmpegChild.Broadcast(host.IngestUrl("crash"), Still("rocket.jpg"));
        var session = await host.WaitLiveAsync("crash", s_wait);
        Assert.True(session is not null, "no live broadcast: " + broadcaster.Log);

        // Once video flows (killed earlier, on a loaded machine the first-frame deadline can win over the idle one).
        var deadline = DateTime.UtcNow + s_wait;
        while (session.FramesIn == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(session.FramesIn > 0, "no frame decoded: " + broadcaster.Log);

        // Killed: no SRT shutdown reaches the host, only silence.
        broadcaster.Dispose();
        Assert.Equal("idle", await host.WaitEndedAsync("crash", s_wait));
        Assert.False(IsRunning(session.DecoderPid!.Value), "decoder left running");
        Assert.False(IsRunning(session.EncoderPid!.Value), "encoder left running");
    }

    [FfmpegFact]
    public async Task Deleting_a_key_ends_its_live_broadcast()
    {
        await using var host = await StartAsync("Broadcast:Keys:gone:Prompt=p", $"Broadcast:Keys:gone:Width={Size}", $"Broadcast:Keys:gone:Height={Size}");
        using var broadcaster = FfmpegChild.Broadcast(host.IngestUrl("gone"), Still("rocket.jpg"));
        var session = await host.WaitLiveAsync("gone", s_wait);
        Assert.True(session is not null, "no live broadcast: " + broadcaster.Log);
        Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync(new Uri("/broadcasts/gone", UriKind.Relative))).StatusCode);
        Assert.Equal("key deleted", await host.WaitEndedAsync("gone", s_wait));
        Assert.False(IsRunning(session.DecoderPid!.Value), "decoder left running");
        Assert.False(IsRunning(session.EncoderPid!.Value), "encoder left running");
    }
}
