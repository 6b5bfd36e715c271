namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>
/// The CLIP token ids of one prompt, with <c>&lt;|startoftext|&gt;</c> first and <c>&lt;|endoftext|&gt;</c>
/// last, before padding; at most <see cref="ClipTokenizer.MaxLength"/> ids.
/// </summary>
/// <param name="Ids">The ids, BOS and EOS included.</param>
/// <param name="Truncated">True when the prompt had more than 75 content tokens and was cut (EOS kept last).</param>
public sealed record ClipTokens(IReadOnlyList<int> Ids, bool Truncated)
{
    /// <summary>Number of ids, BOS and EOS included.</summary>
    public int Count => Ids.Count;
}
