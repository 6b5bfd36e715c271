using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>The per-session latest-frame broadcaster behind the MJPEG endpoint.</summary>
public sealed class FrameBroadcasterTests
{
    [Fact]
    public async Task A_viewer_that_falls_behind_gets_the_latest_frame_only()
    {
        var broadcaster = new FrameBroadcaster();
        for (var i = 1; i <= 100; i++)
        {
            broadcaster.Publish([(byte)i, (byte)(i + 1)], FrameFormat.Jpeg, 10, 20);
        }

        Assert.True(await broadcaster.WaitForNewerAsync(0, CancellationToken.None));
        var buffer = Array.Empty<byte>();
        var frame = broadcaster.CopyLatest(ref buffer);
        Assert.Equal(new BroadcastFrame(100, 2, FrameFormat.Jpeg, 10, 20), frame);
        Assert.Equal([100, 101], buffer.AsSpan(0, frame.Length).ToArray());
    }

    [Fact]
    public async Task Waiting_viewers_wake_on_the_next_publish_and_finish_on_complete()
    {
        var broadcaster = new FrameBroadcaster();
        broadcaster.Publish([1], FrameFormat.Jpeg, 1, 1);
        var first = broadcaster.WaitForNewerAsync(1, CancellationToken.None).AsTask();
        var second = broadcaster.WaitForNewerAsync(1, CancellationToken.None).AsTask();
        Assert.False(first.IsCompleted);
        broadcaster.Publish([2], FrameFormat.Jpeg, 1, 1);
        Assert.True(await first);
        Assert.True(await second);

        var waiting = broadcaster.WaitForNewerAsync(2, CancellationToken.None).AsTask();
        broadcaster.Complete();
        Assert.False(await waiting);
        Assert.False(await broadcaster.WaitForNewerAsync(2, CancellationToken.None));

        // Publishing after the end changes nothing.
        broadcaster.Publish([3], FrameFormat.Jpeg, 1, 1);
        Assert.Equal(2, broadcaster.Version);
    }

    [Fact]
    public void A_cached_jpeg_is_served_for_its_own_frame_only()
    {
        var broadcaster = new FrameBroadcaster();
        broadcaster.Publish([9, 9, 9], FrameFormat.Rgb24, 1, 1);
        var buffer = Array.Empty<byte>();
        Assert.Equal(FrameFormat.Rgb24, broadcaster.CopyLatest(ref buffer).Format);

        broadcaster.CacheJpeg(1, [0xFF, 0xD8]);
        var cached = broadcaster.CopyLatest(ref buffer);
        Assert.Equal((FrameFormat.Jpeg, 2), (cached.Format, cached.Length));

        // A stale JPEG (of frame 1 while frame 2 is current) is not stored, and frame 2 is served raw.
        broadcaster.Publish([7, 7, 7], FrameFormat.Rgb24, 1, 1);
        broadcaster.CacheJpeg(1, [0xFF, 0xD8, 0x00]);
        var latest = broadcaster.CopyLatest(ref buffer);
        Assert.Equal((2L, FrameFormat.Rgb24, 3), (latest.Version, latest.Format, latest.Length));
        Assert.Equal([7, 7, 7], buffer.AsSpan(0, 3).ToArray());
    }

    [Fact]
    public void Viewers_are_counted_while_registered()
    {
        var broadcaster = new FrameBroadcaster();
        var a = broadcaster.AddViewer();
        using (broadcaster.AddViewer())
        {
            Assert.Equal(2, broadcaster.Viewers);
        }

        a.Dispose();
        a.Dispose();
        Assert.Equal(0, broadcaster.Viewers);
    }
}
