using System.Text.RegularExpressions;
using Grpc.Core;

namespace StreamDiffusion.Fuzz;

/// <summary>What an acceptable rejection looks like at the host's edge.</summary>
public static partial class Rejections
{
    /// <summary>
    /// A bad field is INVALID_ARGUMENT with a message that starts with the field's path ("config.width: ...",
    /// "control.prompts[2].weight: ...", "frame.data: ..."), so a client can tell what to fix.
    /// </summary>
    public static void CheckInvalidArgument(RpcException ex, string prefix)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex.StatusCode != StatusCode.InvalidArgument)
        {
            throw new FuzzDefectException($"rejected with {ex.StatusCode} instead of InvalidArgument: {ex.Status.Detail}", ex);
        }

        CheckFieldMessage(ex.Status.Detail, prefix);
    }

    /// <summary>A rejection message must name the field, then say why.</summary>
    public static void CheckFieldMessage(string? message, string prefix)
    {
        if (message is null || !message.StartsWith(prefix, StringComparison.Ordinal) || !FieldMessage().IsMatch(message))
        {
            throw new FuzzDefectException($"rejection does not name its field (expected '{prefix}...: reason'): {message}");
        }
    }

    [GeneratedRegex(@"^[a-z_]+(\.[a-z_]+|\[\d+\])*: \S")]
    private static partial Regex FieldMessage();
}
