using StreamDiffusion.StreamHost.Tests.Web;
using static StreamDiffusion.StreamHost.Tests.Broadcast.BroadcastTestHost;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>
/// RTMP pushes (ffmpeg as the broadcaster, as OBS's "Custom" RTMP server setting does): routed by the key in the URL
/// on one port, run through the same session and output as SRT ones, refused for a wrong key, and cleaned up.
/// </summary>
public sealed class RtmpBroadcastTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [FfmpegFact]
    public async Task An_rtmp_push_runs_a_session_whose_output_follows_the_input()
    {
        await using var host = await StartAsync("Broadcast:Keys:rtmp1:Prompt=plain", $"Broadcast:Keys:rtmp1:Width={Size}", $"Broadcast:Keys:rtmp1:Height={Size}");
        var coffee = await ReferenceAsync("coffee.png");
        using var broadcaster = FfmpegChild.Start([.. Still("coffee.png"), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10",
            "-pix_fmt", "yuv420p", "-f", "flv", host.RtmpUrl("rtmp1")]);
        var session = await host.WaitLiveAsync("rtmp1", s_wait);
        Assert.True(session is not null, "no live broadcast: " + broadcaster.Log);
        Assert.Equal("rtmp", session.Transport);

        using (var player = FfmpegChild.Play(host.OutputUrl("rtmp1"), Size, Size))
        {
            Assert.True(await ReadUntilAsync(player, coffee, 0.9, s_wait) is not null,
                $"the output never showed the input: {player.Log}; broadcast outcome: {host.Server().LastOutcome("rtmp1") ?? "still live"}");
        }

        var pids = new[] { session.IngestPid!.Value, session.DecoderPid!.Value, session.EncoderPid!.Value, session.HlsPid!.Value };
        broadcaster.Quit();
        Assert.Equal("disconnected", await host.WaitEndedAsync("rtmp1", s_wait));
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"process {pid} left running"));
    }

    [FfmpegFact]
    public async Task A_wrong_rtmp_key_is_refused_before_any_decoding()
    {
        await using var host = await StartAsync("Broadcast:Keys:right:Prompt=p");
        using var broadcaster = FfmpegChild.Start([.. Still("coffee.png", 2), "-c:v", "libx264", "-preset", "ultrafast", "-f", "flv", host.RtmpUrl("wrong")]);
        Assert.True(await broadcaster.WaitForExitAsync(s_wait), "ffmpeg kept running against a wrong key");
        Assert.NotEqual(0, broadcaster.ExitCode);
        Assert.False(host.Server().TryGetLive("wrong", out _));
        Assert.Equal(1, (await MetricsText.ReadAsync(host)).Value("streamdiffusion_broadcast_rejected_total", "reason=\"unknown_key\""));
    }
}
