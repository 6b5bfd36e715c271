namespace StreamDiffusion.Pipeline.Tests.Tokenization;

/// <summary>One prompt and the ids the Python reference gives for it (BOS/EOS included, before padding).</summary>
internal sealed record ClipReferenceCase(string Text, bool Truncated, int[] Ids);
