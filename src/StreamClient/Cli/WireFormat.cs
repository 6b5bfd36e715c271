namespace StreamDiffusion.StreamClient.Cli;

/// <summary>How frames travel in both directions (<c>--format</c>).</summary>
public enum WireFormat
{
    /// <summary>JPEG at <c>--quality</c>: small frames, lossy.</summary>
    Jpeg = 0,

    /// <summary>Raw packed RGB24: exact pixels, about 10x the bytes of JPEG.</summary>
    Raw = 1,
}
