using System.Globalization;

namespace StreamDiffusion.StreamClient.Cli;

/// <summary>The parsed <c>--input</c> value: a path, or <c>webcam</c> / <c>webcam:N</c> for camera N (default 0).</summary>
/// <param name="Kind">Path or webcam.</param>
/// <param name="Path">The file or folder (empty for a webcam).</param>
/// <param name="WebcamIndex">The camera index (0 for a path).</param>
public sealed record InputSpec(InputKind Kind, string Path, int WebcamIndex)
{
    private const string WebcamPrefix = "webcam";

    /// <summary>Parses an <c>--input</c> value.</summary>
    /// <exception cref="FormatException">A webcam index is not a non-negative integer, or the value is empty.</exception>
    public static InputSpec Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new FormatException("--input is empty; give a video file, an image, a folder of images or webcam[:N].");
        }

        if (value.Equals(WebcamPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return new InputSpec(InputKind.Webcam, string.Empty, 0);
        }

        // "webcam:N" unless a file of that name exists (a path always wins over the keyword).
        if (value.StartsWith(WebcamPrefix + ":", StringComparison.OrdinalIgnoreCase) && !File.Exists(value) && !Directory.Exists(value))
        {
            var index = value[(WebcamPrefix.Length + 1)..];
            if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new FormatException($"--input {value}: the webcam index '{index}' is not a non-negative integer.");
            }

            return new InputSpec(InputKind.Webcam, string.Empty, n);
        }

        return new InputSpec(InputKind.Path, value, 0);
    }

    /// <inheritdoc />
    public override string ToString() => Kind == InputKind.Webcam ? $"webcam:{WebcamIndex}" : Path;
}
