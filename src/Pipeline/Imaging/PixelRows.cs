using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// The per-row kernels behind <see cref="ImageTensor"/>: one interleaved 8-bit row ↔ three planar
/// float rows, 16 pixels (48 bytes) per step with 128-bit byte shuffles, the value mapping
/// (x·scale + offset) done on the way. This is the frame path's only per-pixel work, so it runs
/// once per pixel and direction with no intermediate buffer.
/// </summary>
/// <remarks>
/// The arithmetic is a separate multiply and add per value in both the vector and the scalar
/// tail, exactly as the earlier two-pass conversion (scalar copy, then TensorPrimitives multiply
/// and add) rounded, so the results are bit-identical to it. Float → byte truncates toward zero
/// and saturates to 0..255 (NaN → 0), like <c>TensorPrimitives.ConvertSaturating</c>; callers add
/// 0.5 to the offset to round to nearest.
/// </remarks>
internal static class PixelRows
{
    private const int Pixels = 16;

    // Deinterleave: s_split[c * 3 + v] picks channel c's bytes of 16 pixels from the v-th of the
    // three 16-byte vectors holding them (0x80 = zero). Interleave: s_merge[v * 3 + c] places
    // channel c's bytes into output vector v.
    private static readonly Vector128<byte>[] s_split = BuildSplit();
    private static readonly Vector128<byte>[] s_merge = BuildMerge();

    /// <summary>Writes row pixels' three channels to three planes as value·scale + offset.</summary>
    /// <param name="source">width·3 interleaved bytes.</param>
    /// <param name="first">The plane of the first byte of each pixel.</param>
    /// <param name="second">The plane of the middle byte.</param>
    /// <param name="third">The plane of the last byte.</param>
    /// <param name="scale">Multiplier applied to each 0..255 value.</param>
    /// <param name="offset">Added after the multiply.</param>
    public static void Split(ReadOnlySpan<byte> source, Span<float> first, Span<float> second, Span<float> third, float scale, float offset)
    {
        var width = first.Length;
        if (source.Length < width * 3 || second.Length < width || third.Length < width)
        {
            throw new ArgumentException("row buffers are shorter than the row");
        }

        var x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var src = ref MemoryMarshal.GetReference(source);
            ref var d0 = ref MemoryMarshal.GetReference(first);
            ref var d1 = ref MemoryMarshal.GetReference(second);
            ref var d2 = ref MemoryMarshal.GetReference(third);
            var scales = Vector128.Create(scale);
            var offsets = Vector128.Create(offset);
            for (; x <= width - Pixels; x += Pixels)
            {
                ref var at = ref Unsafe.Add(ref src, x * 3);
                var v0 = Vector128.LoadUnsafe(ref at);
                var v1 = Vector128.LoadUnsafe(ref at, 16);
                var v2 = Vector128.LoadUnsafe(ref at, 32);
                StoreFloats(Gather(v0, v1, v2, 0), ref Unsafe.Add(ref d0, x), scales, offsets);
                StoreFloats(Gather(v0, v1, v2, 1), ref Unsafe.Add(ref d1, x), scales, offsets);
                StoreFloats(Gather(v0, v1, v2, 2), ref Unsafe.Add(ref d2, x), scales, offsets);
            }
        }

        for (var s = x * 3; x < width; x++, s += 3)
        {
            first[x] = (source[s] * scale) + offset;
            second[x] = (source[s + 1] * scale) + offset;
            third[x] = (source[s + 2] * scale) + offset;
        }
    }

    /// <summary>
    /// Writes three planes' values, mapped by value·scale + offset, truncated and saturated to
    /// 0..255, as interleaved pixels: <paramref name="first"/> into each pixel's first byte.
    /// </summary>
    public static void Merge(ReadOnlySpan<float> first, ReadOnlySpan<float> second, ReadOnlySpan<float> third, Span<byte> destination, float scale, float offset)
    {
        var width = first.Length;
        if (destination.Length < width * 3 || second.Length < width || third.Length < width)
        {
            throw new ArgumentException("row buffers are shorter than the row");
        }

        var x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var dst = ref MemoryMarshal.GetReference(destination);
            ref var s0 = ref MemoryMarshal.GetReference(first);
            ref var s1 = ref MemoryMarshal.GetReference(second);
            ref var s2 = ref MemoryMarshal.GetReference(third);
            var scales = Vector128.Create(scale);
            var offsets = Vector128.Create(offset);
            for (; x <= width - Pixels; x += Pixels)
            {
                var c0 = LoadBytes(ref Unsafe.Add(ref s0, x), scales, offsets);
                var c1 = LoadBytes(ref Unsafe.Add(ref s1, x), scales, offsets);
                var c2 = LoadBytes(ref Unsafe.Add(ref s2, x), scales, offsets);
                ref var at = ref Unsafe.Add(ref dst, x * 3);
                Scatter(c0, c1, c2, 0).StoreUnsafe(ref at);
                Scatter(c0, c1, c2, 1).StoreUnsafe(ref at, 16);
                Scatter(c0, c1, c2, 2).StoreUnsafe(ref at, 32);
            }
        }

        for (var d = x * 3; x < width; x++, d += 3)
        {
            destination[d] = ToByte((first[x] * scale) + offset);
            destination[d + 1] = ToByte((second[x] * scale) + offset);
            destination[d + 2] = ToByte((third[x] * scale) + offset);
        }
    }

    private static byte ToByte(float value) =>
        float.IsNaN(value) ? (byte)0 : value >= 255f ? (byte)255 : value <= 0f ? (byte)0 : (byte)value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Gather(Vector128<byte> v0, Vector128<byte> v1, Vector128<byte> v2, int channel)
    {
        var masks = s_split;
        return Shuffle(v0, masks[channel * 3]) | Shuffle(v1, masks[(channel * 3) + 1]) | Shuffle(v2, masks[(channel * 3) + 2]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Scatter(Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, int vector)
    {
        var masks = s_merge;
        return Shuffle(c0, masks[vector * 3]) | Shuffle(c1, masks[(vector * 3) + 1]) | Shuffle(c2, masks[(vector * 3) + 2]);
    }

    // pshufb where there is one; the portable shuffle (same result: an index of 0x80 yields zero) elsewhere.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Shuffle(Vector128<byte> value, Vector128<byte> indices) =>
        Ssse3.IsSupported ? Ssse3.Shuffle(value, indices) : Vector128.Shuffle(value, indices);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFloats(Vector128<byte> bytes, ref float destination, Vector128<float> scale, Vector128<float> offset)
    {
        var (low, high) = Vector128.Widen(bytes);
        var (a, b) = Vector128.Widen(low);
        var (c, d) = Vector128.Widen(high);
        ((Vector128.ConvertToSingle(a.AsInt32()) * scale) + offset).StoreUnsafe(ref destination);
        ((Vector128.ConvertToSingle(b.AsInt32()) * scale) + offset).StoreUnsafe(ref destination, 4);
        ((Vector128.ConvertToSingle(c.AsInt32()) * scale) + offset).StoreUnsafe(ref destination, 8);
        ((Vector128.ConvertToSingle(d.AsInt32()) * scale) + offset).StoreUnsafe(ref destination, 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> LoadBytes(ref float source, Vector128<float> scale, Vector128<float> offset)
    {
        var a = ToLevels(Vector128.LoadUnsafe(ref source), scale, offset);
        var b = ToLevels(Vector128.LoadUnsafe(ref source, 4), scale, offset);
        var c = ToLevels(Vector128.LoadUnsafe(ref source, 8), scale, offset);
        var d = ToLevels(Vector128.LoadUnsafe(ref source, 12), scale, offset);
        return Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d));
    }

    // Float → int conversion saturates and maps NaN to 0 (.NET 9 and later on every platform), so
    // clamping the integers to 0..255 gives ConvertSaturating<float, byte>'s result; the narrowing
    // that follows then only drops zero bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> ToLevels(Vector128<float> values, Vector128<float> scale, Vector128<float> offset)
    {
        var levels = Vector128.ConvertToInt32((values * scale) + offset);
        return Vector128.Min(Vector128.Max(levels, Vector128<int>.Zero), Vector128.Create(255)).AsUInt32();
    }

    private static Vector128<byte>[] BuildSplit()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> lanes = stackalloc byte[16];
        for (var channel = 0; channel < 3; channel++)
        {
            for (var vector = 0; vector < 3; vector++)
            {
                for (var pixel = 0; pixel < Pixels; pixel++)
                {
                    var at = (pixel * 3) + channel;
                    lanes[pixel] = at / 16 == vector ? (byte)(at % 16) : (byte)0x80;
                }

                masks[(channel * 3) + vector] = Vector128.Create((ReadOnlySpan<byte>)lanes);
            }
        }

        return masks;
    }

    private static Vector128<byte>[] BuildMerge()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> lanes = stackalloc byte[16];
        for (var vector = 0; vector < 3; vector++)
        {
            for (var channel = 0; channel < 3; channel++)
            {
                for (var lane = 0; lane < 16; lane++)
                {
                    var at = (vector * 16) + lane;
                    lanes[lane] = at % 3 == channel ? (byte)(at / 3) : (byte)0x80;
                }

                masks[(vector * 3) + channel] = Vector128.Create((ReadOnlySpan<byte>)lanes);
            }
        }

        return masks;
    }
}
