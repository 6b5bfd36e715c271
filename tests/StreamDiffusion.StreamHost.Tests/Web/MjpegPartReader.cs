using System.Globalization;
using System.Text;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>Reads the parts of a multipart/x-mixed-replace body (each with Content-Length), as a test oracle.</summary>
internal sealed class MjpegPartReader(Stream body, string boundary)
{
    /// <summary>True once the closing boundary was read.</summary>
    public bool SawClosingBoundary { get; private set; }

    /// <summary>Next part's bytes; null at the closing boundary or the end of the body.</summary>
    public async Task<(string ContentType, byte[] Data)?> NextAsync(CancellationToken ct)
    {
        string? line;
        do
        {
            line = await ReadLineAsync(ct);
            if (line is null)
            {
                return null;
            }
        }
        while (line.Length == 0);

        if (line == "--" + boundary + "--")
        {
            SawClosingBoundary = true;
            return null;
        }

        Assert.Equal("--" + boundary, line);
        var contentType = string.Empty;
        var length = -1;
        while ((line = await ReadLineAsync(ct)) is { Length: > 0 })
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        Assert.True(length >= 0, "every part carries Content-Length");
        var data = new byte[length];
        await body.ReadExactlyAsync(data, ct);
        return (contentType, data);
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await body.ReadAsync(one, ct) == 0)
            {
                return bytes.Count == 0 ? null : Encoding.ASCII.GetString([.. bytes]);
            }

            if (one[0] == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r')
                {
                    bytes.RemoveAt(bytes.Count - 1);
                }

                return Encoding.ASCII.GetString([.. bytes]);
            }

            bytes.Add(one[0]);
        }
    }
}
