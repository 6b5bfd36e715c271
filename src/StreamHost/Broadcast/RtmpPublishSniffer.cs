using System.Text;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// Finds the stream key in the bytes an RTMP publisher sends: the AMF0 command <c>publish</c>
/// (<c>02 00 07 "publish"</c>, a transaction number, a null, then the stream name as an AMF0 string). The command is
/// one small message, so it sits whole in one chunk; the bytes are scanned across reads with a short overlap.
/// </summary>
internal sealed class RtmpPublishSniffer
{
    private const int MaxKeyBytes = 256;
    private const int Keep = 32 + MaxKeyBytes;

    // 02 = AMF0 string marker, 00 07 = length of "publish".
    private static ReadOnlySpan<byte> Command => [0x02, 0x00, 0x07, (byte)'p', (byte)'u', (byte)'b', (byte)'l', (byte)'i', (byte)'s', (byte)'h'];

    private readonly byte[] _window = new byte[Keep * 2];
    private int _length;
    private long _seen;

    /// <summary>Bytes scanned so far.</summary>
    public long Seen => _seen;

    /// <summary>Feeds the next bytes from the publisher; returns the key once the publish command has been seen.</summary>
    public string? Feed(ReadOnlySpan<byte> data)
    {
        _seen += data.Length;
        while (!data.IsEmpty)
        {
            var take = Math.Min(data.Length, _window.Length - _length);
            data[..take].CopyTo(_window.AsSpan(_length));
            _length += take;
            data = data[take..];
            if (TryParse(_window.AsSpan(0, _length), out var key, out var complete))
            {
                return key;
            }

            if (_length == _window.Length || complete)
            {
                // Keep the tail: a command may straddle this read and the next.
                _window.AsSpan(_length - Keep, Keep).CopyTo(_window);
                _length = Keep;
            }
        }

        return null;
    }

    private static bool TryParse(ReadOnlySpan<byte> window, out string? key, out bool complete)
    {
        key = null;
        complete = false;
        var at = window.IndexOf(Command);
        if (at < 0)
        {
            return false;
        }

        // publish, 00 + 8-byte number (transaction id), 05 (null), 02 + u16 length + name.
        var rest = window[(at + Command.Length)..];
        if (rest.Length < 13)
        {
            return false;
        }

        if (rest[0] != 0x00 || rest[9] != 0x05 || rest[10] != 0x02)
        {
            complete = true;
            return false;
        }

        var length = (rest[11] << 8) | rest[12];
        if (length > MaxKeyBytes)
        {
            key = string.Empty;
            return true;
        }

        if (rest.Length < 13 + length)
        {
            return false;
        }

        var name = Encoding.UTF8.GetString(rest.Slice(13, length));

        // Some tools append parameters to the key (KEY?param=value).
        var query = name.IndexOf('?', StringComparison.Ordinal);
        key = query >= 0 ? name[..query] : name;
        return true;
    }
}
