namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>Single-stream figures of <see cref="OverheadMeasurement"/>, milliseconds per frame (medians over rounds).</summary>
/// <param name="FrameMs">Wall time of a frame, raw RGB24 in and out.</param>
/// <param name="OnnxMs">Time inside the ONNX sessions.</param>
/// <param name="OverheadMs">The rest: everything outside the sessions.</param>
/// <param name="FloorMs">The same ONNX calls back to back in a bare loop.</param>
/// <param name="OnnxVsFloor">Inside-ONNX time over the floor.</param>
/// <param name="ConversionMs">RGB24 ↔ tensor conversion (mean; part of the overhead).</param>
/// <param name="QueueWaitMs">Engine hand-off wait (mean; part of the overhead).</param>
internal sealed record OverheadResult(double FrameMs, double OnnxMs, double OverheadMs, double FloorMs, double OnnxVsFloor, double ConversionMs, double QueueWaitMs);
