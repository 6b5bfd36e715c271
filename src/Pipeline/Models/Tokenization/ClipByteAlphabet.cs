namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// GPT-2's reversible byte → printable character table (<c>bytes_to_unicode</c>), in the order CLIP
/// uses for the first 256 vocabulary ids. Byte-level BPE works on these characters instead of raw
/// bytes so that every byte has a visible, whitespace-free token string.
/// </summary>
internal static class ClipByteAlphabet
{
    private static readonly string[] s_tokensInIdOrder = Build();

    /// <summary>The 256 single-character byte tokens; index = CLIP vocabulary id.</summary>
    public static IReadOnlyList<string> Tokens => s_tokensInIdOrder;

    private static string[] Build()
    {
        // Printable Latin-1 bytes keep their own code point and come first, in byte order;
        // the remaining bytes (controls, space, 0x7F-0xA0, 0xAD) are shifted to U+0100.. in byte order.
        var order = new List<int>(256);
        var codePoints = new List<int>(256);
        for (int b = '!'; b <= '~'; b++)
        { order.Add(b); codePoints.Add(b); }
        for (int b = 0xA1; b <= 0xAC; b++)
        { order.Add(b); codePoints.Add(b); }
        for (int b = 0xAE; b <= 0xFF; b++)
        { order.Add(b); codePoints.Add(b); }
        var printable = new HashSet<int>(order);
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            if (!printable.Contains(b))
            {
                order.Add(b);
                codePoints.Add(256 + shifted);
                shifted++;
            }
        }

        var tokens = new string[256];
        for (int i = 0; i < 256; i++)
        {
            tokens[i] = ((char)codePoints[i]).ToString();
        }

        return tokens;
    }
}
