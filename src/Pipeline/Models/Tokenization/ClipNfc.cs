using System.Text;

namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// Unicode NFC normalization (the last step of ftfy.fix_text in CLIP's reference, and the first
/// normalizer of the Hugging Face fast CLIP tokenizer). Needed because the project runs with
/// InvariantGlobalization, where <see cref="string.Normalize()"/> leaves text unchanged.
/// </summary>
/// <remarks>
/// Standard algorithm: full canonical decomposition, canonical reordering of combining marks, then
/// canonical composition (Hangul done algorithmically). Tables come from <see cref="ClipNfcData"/>.
/// </remarks>
internal static class ClipNfc
{
    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount, HangulSCount = HangulLCount * HangulNCount;

    private static readonly Dictionary<int, (int First, int Second)> s_decompositionMap = BuildDecompositions(out s_compositionMap);
    private static readonly Dictionary<long, int> s_compositionMap;

    /// <summary>Returns the NFC form of <paramref name="text"/> (the same instance when nothing can change).</summary>
    public static string Normalize(string text)
    {
        if (!MayNeedNormalization(text))
        {
            return text;
        }

        var codePoints = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            Decompose(rune.Value, codePoints);
        }

        ReorderMarks(codePoints);
        Compose(codePoints);

        var builder = new StringBuilder(text.Length);
        foreach (int cp in codePoints)
        {
            builder.Append(new Rune(cp));
        }

        return builder.ToString();
    }

    // Everything below U+0300 is already NFC and composes with nothing before it.
    private static bool MayNeedNormalization(string text)
    {
        foreach (char c in text)
        {
            if (c >= '\u0300')
            {
                return true;
            }
        }

        return false;
    }

    private static void Decompose(int cp, List<int> output)
    {
        int sIndex = cp - HangulSBase;
        if (sIndex is >= 0 and < HangulSCount)
        {
            output.Add(HangulLBase + (sIndex / HangulNCount));
            output.Add(HangulVBase + (sIndex % HangulNCount / HangulTCount));
            int t = sIndex % HangulTCount;
            if (t != 0)
            {
                output.Add(HangulTBase + t);
            }

            return;
        }

        if (s_decompositionMap.TryGetValue(cp, out var parts))
        {
            Decompose(parts.First, output);
            if (parts.Second != 0)
            {
                Decompose(parts.Second, output);
            }

            return;
        }

        output.Add(cp);
    }

    // Stable insertion sort of each run of non-starters by combining class.
    private static void ReorderMarks(List<int> codePoints)
    {
        for (int i = 1; i < codePoints.Count; i++)
        {
            int cc = CombiningClass(codePoints[i]);
            if (cc == 0)
            {
                continue;
            }

            int j = i;
            while (j > 0)
            {
                int previous = CombiningClass(codePoints[j - 1]);
                if (previous <= cc)
                {
                    break;
                }

                (codePoints[j - 1], codePoints[j]) = (codePoints[j], codePoints[j - 1]);
                j--;
            }
        }
    }

    private static void Compose(List<int> codePoints)
    {
        if (codePoints.Count == 0)
        {
            return;
        }

        int write = 1;
        int starter = CombiningClass(codePoints[0]) == 0 ? 0 : -1;
        int lastClass = starter == 0 ? 0 : 256;
        for (int read = 1; read < codePoints.Count; read++)
        {
            int cp = codePoints[read];
            int cc = CombiningClass(cp);
            bool adjacent = starter == write - 1;
            bool blocked = !adjacent && (lastClass == 0 || lastClass >= cc);
            if (starter >= 0 && !blocked && TryCompose(codePoints[starter], cp, out int composite))
            {
                codePoints[starter] = composite;
                continue;
            }

            if (cc == 0)
            {
                starter = write;
            }

            lastClass = cc;
            codePoints[write++] = cp;
        }

        codePoints.RemoveRange(write, codePoints.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        int lIndex = first - HangulLBase;
        int vIndex = second - HangulVBase;
        if (lIndex is >= 0 and < HangulLCount && vIndex is >= 0 and < HangulVCount)
        {
            composite = HangulSBase + (((lIndex * HangulVCount) + vIndex) * HangulTCount);
            return true;
        }

        int sIndex = first - HangulSBase;
        int tIndex = second - HangulTBase;
        if (sIndex is >= 0 and < HangulSCount && sIndex % HangulTCount == 0 && tIndex is > 0 and < HangulTCount)
        {
            composite = first + tIndex;
            return true;
        }

        return s_compositionMap.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static int CombiningClass(int cp)
    {
        var table = ClipNfcData.CombiningClasses;
        int low = 0;
        int high = (table.Length / 3) - 1;
        while (low <= high)
        {
            int mid = (low + high) >>> 1;
            if (cp < table[mid * 3])
            {
                high = mid - 1;
            }
            else if (cp > table[(mid * 3) + 1])
            {
                low = mid + 1;
            }
            else
            {
                return table[(mid * 3) + 2];
            }
        }

        return 0;
    }

    private static Dictionary<int, (int First, int Second)> BuildDecompositions(out Dictionary<long, int> compositions)
    {
        var table = ClipNfcData.Decompositions;
        var decompositions = new Dictionary<int, (int, int)>(table.Length / 3);
        compositions = new Dictionary<long, int>(1024);
        for (int i = 0; i < table.Length; i += 3)
        {
            int cp = table[i] & 0xFFFFFF;
            decompositions[cp] = (table[i + 1], table[i + 2]);
            if ((table[i] & (1 << 24)) != 0)
            {
                compositions[((long)table[i + 1] << 21) | (uint)table[i + 2]] = cp;
            }
        }

        return decompositions;
    }
}
