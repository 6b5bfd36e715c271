using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// Reads the JSON text messages of the WebSocket protocol into the proto messages the gRPC path uses, so both
/// transports share one set of fields, defaults and validation. Field names are the proto's (snake_case; the
/// lowerCamelCase JSON names work too). Enum values may be written short and in any case ("jpeg", "self",
/// "img2img"), in full ("OUTPUT_ENCODING_JPEG") or as numbers. An optional top-level <c>"type"</c> naming the
/// message ("config" or "control") is accepted and checked. Unknown fields are errors, so typos do not pass
/// silently.
/// </summary>
public static class WebSocketJson
{
    private static readonly JsonParser s_parser = new(JsonParser.Settings.Default);

    // A repeated property is ambiguous (which prompt wins?): the reader rejects it as invalid JSON.
    private static readonly JsonDocumentOptions s_documentOptions = new() { AllowDuplicateProperties = false };

    private static readonly (string Field, string Prefix)[] s_enumFields =
    [
        ("mode", "GENERATION_MODE_"),
        ("cfg_type", "CFG_TYPE_"),
        ("cfgType", "CFG_TYPE_"),
        ("output_encoding", "OUTPUT_ENCODING_"),
        ("outputEncoding", "OUTPUT_ENCODING_"),
        ("sampler", "VIDEO_SAMPLER_"),
    ];

    /// <summary>Parses the first text message: a SessionConfig.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT "config: reason".</exception>
    public static SessionConfig ParseConfig(ReadOnlySpan<byte> utf8) => Parse<SessionConfig>(utf8, "config");

    /// <summary>Parses a later text message: a ControlUpdate.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT "control: reason".</exception>
    public static ControlUpdate ParseControl(ReadOnlySpan<byte> utf8) => Parse<ControlUpdate>(utf8, "control");

    /// <summary>Parses the first text message of <c>/ws/video</c>: a GenerateVideoRequest.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT "request: reason".</exception>
    public static GenerateVideoRequest ParseVideoRequest(ReadOnlySpan<byte> utf8) => Parse<GenerateVideoRequest>(utf8, "request");

    /// <summary>Parses a later text message of <c>/ws/video</c>: a VideoControlRequest (session_id optional).</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT "control: reason".</exception>
    public static VideoControlRequest ParseVideoControl(ReadOnlySpan<byte> utf8) => Parse<VideoControlRequest>(utf8, "control");

    /// <summary>Short lower-case name of an enum value as the protocol writes it ("jpeg", "self", "img2img").</summary>
    public static string ShortName(Enum value, string prefix)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(prefix);
        var name = value.GetType().GetField(value.ToString())?
            .GetCustomAttributes(typeof(Google.Protobuf.Reflection.OriginalNameAttribute), false)
            .OfType<Google.Protobuf.Reflection.OriginalNameAttribute>().FirstOrDefault()?.Name ?? value.ToString();
        return (name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name).ToLowerInvariant();
    }

    /// <summary>The path ("config.prompts[1].text") of the first string that is not well-formed UTF-16, or null.</summary>
    private static string? IllFormedString(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (IllFormedString(child, path + "." + name) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (IllFormedString(array[i], string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]")) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                try
                {
                    return SessionSettingsValidator.IllFormedAt(value.GetValue<string>()) >= 0 ? path : null;
                }
                catch (InvalidOperationException)
                {
                    // Thrown for an escaped lone surrogate.
                    return path;
                }

            default:
                return null;
        }
    }

    private static T Parse<T>(ReadOnlySpan<byte> utf8, string kind)
        where T : IMessage<T>, new()
    {
        // A WebSocket text message should be UTF-8, but the server does not check it; the JSON reader would throw
        // InvalidOperationException on the first string it cannot transcode, so reject it here as bad input.
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw SessionSettingsValidator.Invalid(kind, "not valid UTF-8");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, documentOptions: s_documentOptions);
        }
        catch (JsonException ex)
        {
            throw SessionSettingsValidator.Invalid(kind, "not valid JSON: " + ex.Message);
        }

        if (node is not JsonObject obj)
        {
            throw SessionSettingsValidator.Invalid(kind, "must be a JSON object");
        }

        if (obj.TryGetPropertyValue("type", out var type))
        {
            var name = type is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (!string.Equals(name, kind, StringComparison.OrdinalIgnoreCase))
            {
                throw SessionSettingsValidator.Invalid(kind + ".type",
                    $"expected \"{kind}\" here, got {type?.ToJsonString() ?? "null"}"
                    + (kind == "control" ? " (only the first text message is a config)" : string.Empty));
            }

            obj.Remove("type");
        }

        // System.Text.Json keeps "\ud800" escapes as they came; a lone surrogate only fails when the text is read.
        if (IllFormedString(obj, kind) is { } bad)
        {
            throw SessionSettingsValidator.Invalid(bad, "not well-formed Unicode: a lone UTF-16 surrogate");
        }

        foreach (var (field, prefix) in s_enumFields)
        {
            if (obj[field] is JsonValue value && value.TryGetValue<string>(out var text)
                && !text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                obj[field] = prefix + text.ToUpperInvariant();
            }
        }

        try
        {
            return s_parser.Parse<T>(obj.ToJsonString());
        }
        catch (Exception ex) when (ex is InvalidJsonException or InvalidProtocolBufferException or FormatException)
        {
            throw SessionSettingsValidator.Invalid(kind, ex.Message);
        }
    }
}
