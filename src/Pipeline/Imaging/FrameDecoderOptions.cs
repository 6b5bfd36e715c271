namespace StreamDiffusion.Pipeline.Imaging;

/// <summary>Model size, fit mode and input limits of a <see cref="FrameDecoder"/>.</summary>
public sealed record FrameDecoderOptions
{
    private readonly int _width = 512;
    private readonly int _height = 512;
    private readonly int _maxSourceWidth = 2048;
    private readonly int _maxSourceHeight = 2048;

    /// <summary>Width of the tensor the decoder writes (the model's image width). Default 512.</summary>
    public int Width
    {
        get => _width;
        init => _width = Positive(value, nameof(Width));
    }

    /// <summary>Height of the tensor the decoder writes (the model's image height). Default 512.</summary>
    public int Height
    {
        get => _height;
        init => _height = Positive(value, nameof(Height));
    }

    /// <summary>How frames of another aspect ratio are mapped to the model size. Default center crop.</summary>
    public FitMode Fit { get; init; } = FitMode.CenterCrop;

    /// <summary>8-bit grey level of the bars in <see cref="FitMode.Pad"/> (0 = black, the letterbox convention).</summary>
    public byte PadLevel { get; init; }

    /// <summary>Largest accepted source width; larger frames are rejected before decoding. Default 2048.</summary>
    public int MaxSourceWidth
    {
        get => _maxSourceWidth;
        init => _maxSourceWidth = Positive(value, nameof(MaxSourceWidth));
    }

    /// <summary>Largest accepted source height; larger frames are rejected before decoding. Default 2048.</summary>
    public int MaxSourceHeight
    {
        get => _maxSourceHeight;
        init => _maxSourceHeight = Positive(value, nameof(MaxSourceHeight));
    }

    /// <summary>
    /// Let libjpeg decode large JPEGs at 1/2, 1/4 or 1/8 scale (DCT-domain scaling) when the result is
    /// still at least as large as the resize target. Much faster for e.g. 1080p webcam frames into a
    /// 512x512 model; the area resize that follows hides the difference. Default on.
    /// </summary>
    public bool FastJpegDownscale { get; init; } = true;

    /// <summary>Value range of the tensor written. Default [-1, 1].</summary>
    public TensorRange Range { get; init; } = TensorRange.MinusOneToOne;

    /// <summary>Floats in one decoded tensor: 3·Height·Width.</summary>
    public int TensorLength => 3 * Width * Height;

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
}
