namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>What a stream turns into frames.</summary>
public enum StreamMode
{
    /// <summary>Every input frame is encoded, noised to t₀ and denoised under the prompt.</summary>
    Img2Img,

    /// <summary>No input: every call starts from noise at t₀ (a text-driven stream).</summary>
    Txt2Img,
}
