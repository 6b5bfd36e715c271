namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>How a frame whose aspect ratio differs from the model's is mapped onto the model size.</summary>
public enum FitMode
{
    /// <summary>Scale so the frame covers the target and cut the overhang evenly on both sides.</summary>
    CenterCrop = 0,

    /// <summary>Scale so the whole frame fits and fill the bars (letterbox / pillarbox) with the pad level.</summary>
    Pad = 1,

    /// <summary>Scale each axis independently to the target (distorts the aspect ratio).</summary>
    Stretch = 2,
}
