namespace StreamDiffusion.Pipeline.Models.Synthetic;

/// <summary>Element type of the text encoder's <c>input_ids</c> (exporters differ).</summary>
public enum SyntheticInputIdsType
{
    /// <summary>int64, what optimum writes.</summary>
    Int64,

    /// <summary>int32, seen in some ready-made ONNX repositories.</summary>
    Int32,
}
