using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamDiffusion.StreamHost.Tests.Web;
using static StreamDiffusion.StreamHost.Tests.Broadcast.BroadcastTestHost;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>
/// The HLS output of a broadcast: the host serves a rolling playlist and MPEG-TS segments that a second ffmpeg plays
/// (showing the broadcast's picture), old segments are deleted as the playlist rolls, nothing outside the session's
/// folder is served, and the segmenter process and the folder go with the session.
/// </summary>
public sealed partial class HlsBroadcastTests
{
    private const int ListSize = 3;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [FfmpegFact]
    public async Task A_broadcast_is_served_as_hls_that_ffmpeg_plays_with_bounded_files_that_go_with_the_session()
    {
        await using var host = await StartAsync("Broadcast:Keys:tv:Prompt=plain", $"Broadcast:Keys:tv:Width={Size}", $"Broadcast:Keys:tv:Height={Size}",
            $"Broadcast:HlsListSize={ListSize}");
        var astronaut = await ReferenceAsync("astronaut.png");
        using var broadcaster = FfmpegChild.Broadcast(host.IngestUrl("tv"), Still("astronaut.png"));
        var session = await host.WaitLiveAsync("tv", s_wait);
        Assert.True(session is not null, "no live broadcast: " + broadcaster.Log);
        var folder = session.HlsFolder;
        Assert.NotNull(folder);

        // The listing names the playlist and the player page.
        using (var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/broadcasts", UriKind.Relative))))
        {
            var live = list.RootElement.GetProperty("broadcasts").EnumerateArray().Single(b => b.GetProperty("key").GetString() == "tv").GetProperty("live");
            Assert.Equal("/broadcasts/tv/hls/index.m3u8", live.GetProperty("hls_url").GetString());
            Assert.Equal("/broadcasts/tv/player", live.GetProperty("player_url").GetString());
        }

        // A playlist with segments comes soon after the first keyframes.
        var first = await WaitForPlaylistAsync(host, p => p.Segments.Count >= 2);
        Assert.True(first is not null, "no playlist with two segments");
        Assert.InRange(first.TargetDuration, 1, 2);

        // A segment is MPEG-TS (188-byte packets, sync byte 0x47).
        using (var segment = await host.Http.GetAsync(new Uri("/broadcasts/tv/hls/" + first.Segments[^1], UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, segment.StatusCode);
            Assert.Equal("video/mp2t", segment.Content.Headers.ContentType?.MediaType);
            var bytes = await segment.Content.ReadAsByteArrayAsync();
            Assert.True(bytes.Length > 0 && bytes.Length % 188 == 0 && bytes[0] == 0x47, $"{bytes.Length} bytes, first {(bytes.Length > 0 ? bytes[0] : -1)}");
        }

        // A second ffmpeg plays the host's HLS: its picture is the broadcast's.
        using (var player = FfmpegChild.Play(new Uri(host.HttpAddress, "/broadcasts/tv/hls/index.m3u8").ToString(), Size, Size))
        {
            Assert.True(await ReadUntilAsync(player, astronaut, 0.9, s_wait) is not null, "the HLS output never showed the input: " + player.Log);
        }

        // The playlist rolls and the segments it dropped are deleted: disk use stays bounded.
        var oldest = first.Segments[0];
        var rolled = await WaitForPlaylistAsync(host, p => p.Segments.Count == ListSize && SegmentNumber(p.Segments[0]) > SegmentNumber(oldest) + ListSize + 2);
        Assert.True(rolled is not null, "the playlist did not roll");
        Assert.False(File.Exists(Path.Combine(folder, oldest)), $"{oldest} was not deleted");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync(new Uri("/broadcasts/tv/hls/" + oldest, UriKind.Relative))).StatusCode);
        Assert.True(Directory.GetFiles(folder).Length <= ListSize + 5, string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName)));

        // Only the segmenter's own names are served; nothing reaches outside the folder.
        foreach (var name in new[] { "..%2F..%2Fetc%2Fpasswd", "index.m3u8.tmp", "seg1.ts.tmp", "notes.txt", "%2Fetc%2Fpasswd" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync(new Uri("/broadcasts/tv/hls/" + name, UriKind.Relative))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync(new Uri("/broadcasts/nokey/hls/index.m3u8", UriKind.Relative))).StatusCode);
        Assert.Contains("/broadcasts/tv/hls/index.m3u8", await host.Http.GetStringAsync(new Uri("/broadcasts/tv/player", UriKind.Relative)), StringComparison.Ordinal);

        // The broadcaster leaves: the segmenter is gone, the folder deleted, the playlist no longer served.
        var segmenter = session.HlsPid!.Value;
        Assert.True(IsRunning(segmenter));
        broadcaster.Quit();
        Assert.Equal("disconnected", await host.WaitEndedAsync("tv", s_wait));
        Assert.False(IsRunning(segmenter), "HLS segmenter left running");
        Assert.False(Directory.Exists(folder), "HLS folder left behind");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync(new Uri("/broadcasts/tv/hls/index.m3u8", UriKind.Relative))).StatusCode);
    }

    private static async Task<Playlist?> WaitForPlaylistAsync(LoopbackHost host, Func<Playlist, bool> condition)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await host.Http.GetAsync(new Uri("/broadcasts/tv/hls/index.m3u8", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("application/vnd.apple.mpegurl", response.Content.Headers.ContentType?.MediaType);
                var playlist = Playlist.Parse(await response.Content.ReadAsStringAsync());
                if (condition(playlist))
                {
                    return playlist;
                }
            }

            await Task.Delay(100);
        }

        return null;
    }

    private static long SegmentNumber(string name) => long.Parse(SegmentName().Match(name).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^seg([0-9]+)\.ts$")]
    private static partial Regex SegmentName();

    /// <summary>The parts of a media playlist the test reads.</summary>
    private sealed record Playlist(int TargetDuration, IReadOnlyList<string> Segments)
    {
        public static Playlist Parse(string text)
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal("#EXTM3U", lines[0]);
            var target = int.Parse(lines.Single(l => l.StartsWith("#EXT-X-TARGETDURATION:", StringComparison.Ordinal)).Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            var segments = lines.Where(l => !l.StartsWith('#')).ToArray();
            Assert.All(segments, s => Assert.Matches(SegmentName(), s));
            Assert.Equal(segments.Length, lines.Count(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal)));
            return new Playlist(target, segments);
        }
    }
}
