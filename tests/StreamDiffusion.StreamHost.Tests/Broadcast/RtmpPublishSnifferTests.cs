using System.Text;
using StreamDiffusion.StreamHost.Broadcast;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>The stream key is read from an RTMP publish command however the bytes are split across reads.</summary>
public sealed class RtmpPublishSnifferTests
{
    // AMF0: "publish", transaction 5.0, null, "KEY", "live" — as a publisher's command message body carries it.
    private static byte[] Publish(string key)
    {
        var name = Encoding.UTF8.GetBytes(key);
        byte[] head = [0x02, 0x00, 0x07, .. "publish"u8, 0x00, 0x40, 0x14, 0, 0, 0, 0, 0, 0, 0x05, 0x02, (byte)(name.Length >> 8), (byte)name.Length];
        return [.. new byte[300], .. head, .. name, 0x02, 0x00, 0x04, .. "live"u8, .. new byte[50]];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(4096)]
    public void The_key_is_found_in_any_split(int chunk)
    {
        var bytes = Publish("studio-1?token=abc");
        var sniffer = new RtmpPublishSniffer();
        string? key = null;
        for (var i = 0; i < bytes.Length && key is null; i += chunk)
        {
            key = sniffer.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        Assert.Equal("studio-1", key);
    }

    [Fact]
    public void Bytes_without_a_publish_command_give_no_key()
    {
        var sniffer = new RtmpPublishSniffer();
        var noise = new byte[100_000];
        new Random(1).NextBytes(noise);
        Assert.Null(sniffer.Feed(noise));
        Assert.Null(sniffer.Feed("\u0002\u0000\u0007publis"u8));
        Assert.Equal(100_009, sniffer.Seen);
    }
}
