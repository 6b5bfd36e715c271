namespace StreamDiffusion.Pipeline.Models.Tokenization;

/// <summary>The special tokens of a CLIP tokenizer folder, with their vocabulary ids.</summary>
/// <param name="BosToken">Beginning-of-text token, <c>&lt;|startoftext|&gt;</c> for CLIP.</param>
/// <param name="BosId">Its id (49406 for CLIP).</param>
/// <param name="EosToken">End-of-text token, <c>&lt;|endoftext|&gt;</c> for CLIP.</param>
/// <param name="EosId">Its id (49407 for CLIP).</param>
/// <param name="PadToken">Padding token: <c>!</c> for SD 2.x / sd-turbo, <c>&lt;|endoftext|&gt;</c> for SD 1.x.</param>
/// <param name="PadId">Its id (0 or 49407 for CLIP).</param>
public sealed record ClipSpecialTokens(string BosToken, int BosId, string EosToken, int EosId, string PadToken, int PadId);
