namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>
/// Where a source image goes in the model-size tensor: resize it to ResizeWidth x ResizeHeight,
/// take the CopyWidth x CopyHeight window at (CropX, CropY) of the resized image and write it at
/// (DestX, DestY). Center crop resizes past the target and crops the middle; pad resizes inside the
/// target and centres it between bars; stretch resizes to the target exactly.
/// </summary>
internal readonly record struct FitGeometry(
    int ResizeWidth,
    int ResizeHeight,
    int CropX,
    int CropY,
    int DestX,
    int DestY,
    int CopyWidth,
    int CopyHeight)
{
    /// <summary>Whether the target leaves bars that need the pad level.</summary>
    public bool HasBars(int targetWidth, int targetHeight) => CopyWidth != targetWidth || CopyHeight != targetHeight;

    /// <summary>Computes the geometry for a source of <paramref name="sourceWidth"/> x <paramref name="sourceHeight"/>.</summary>
    public static FitGeometry Compute(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight, FitMode fit)
    {
        var sx = (double)targetWidth / sourceWidth;
        var sy = (double)targetHeight / sourceHeight;
        switch (fit)
        {
            case FitMode.CenterCrop:
                {
                    var scale = Math.Max(sx, sy);
                    var w = Math.Max(targetWidth, (int)Math.Round(sourceWidth * scale));
                    var h = Math.Max(targetHeight, (int)Math.Round(sourceHeight * scale));
                    return new(w, h, (w - targetWidth) / 2, (h - targetHeight) / 2, 0, 0, targetWidth, targetHeight);
                }

            case FitMode.Pad:
                {
                    var scale = Math.Min(sx, sy);
                    var w = Math.Clamp((int)Math.Round(sourceWidth * scale), 1, targetWidth);
                    var h = Math.Clamp((int)Math.Round(sourceHeight * scale), 1, targetHeight);
                    return new(w, h, 0, 0, (targetWidth - w) / 2, (targetHeight - h) / 2, w, h);
                }

            case FitMode.Stretch:
                return new(targetWidth, targetHeight, 0, 0, 0, 0, targetWidth, targetHeight);

            default:
                throw new ArgumentOutOfRangeException(nameof(fit), fit, "Unknown fit mode.");
        }
    }
}
