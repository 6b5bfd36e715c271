using System.Buffers;
using System.Globalization;
using System.Text.Unicode;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// Finds the string field of an encoded protobuf message that is not valid UTF-8 (what a JavaScript client writes
/// for a lone UTF-16 surrogate), so the rejection can name it: <c>config.prompts[1].text</c>.
/// </summary>
public static class InvalidUtf8Locator
{
    /// <summary>Path of the first string field holding invalid UTF-8, or null when there is none.</summary>
    public static string? Find(MessageDescriptor descriptor, ReadOnlySequence<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        try
        {
            return Find(descriptor, payload.ToArray(), prefix: string.Empty, depth: 0);
        }
        catch (InvalidProtocolBufferException)
        {
            // Broken framing: there is no field to name.
            return null;
        }
    }

    private static string? Find(MessageDescriptor descriptor, byte[] bytes, string prefix, int depth)
    {
        if (depth > 32)
        {
            return null;
        }

        var input = new CodedInputStream(bytes);
        var counts = new Dictionary<int, int>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            var field = descriptor.FindFieldByNumber(number);
            if (field is null || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited
                || field.FieldType is not (FieldType.String or FieldType.Message))
            {
                input.SkipLastField();
                continue;
            }

            var path = prefix + field.Name;
            if (field.IsRepeated)
            {
                counts.TryGetValue(number, out var index);
                counts[number] = index + 1;
                path += string.Create(CultureInfo.InvariantCulture, $"[{index}]");
            }

            var value = input.ReadBytes().Memory;
            var found = field.FieldType == FieldType.String
                ? (Utf8.IsValid(value.Span) ? null : path)
                : Find(field.MessageType, value.ToArray(), path + ".", depth + 1);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }
}
