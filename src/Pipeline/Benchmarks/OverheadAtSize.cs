namespace StreamDiffusion.Pipeline.Benchmarks;

/// <summary>
/// The overhead phase at one frame size (one stream, raw RGB24 in and out, filter off; medians over
/// rounds except where noted), with the steady-state allocations per frame at that size (JPEG in and
/// out), so the growth of the per-frame cost with pixels is visible in one report.
/// </summary>
/// <param name="FrameMs">Wall milliseconds of a frame.</param>
/// <param name="OnnxMs">Milliseconds inside the ONNX sessions.</param>
/// <param name="OverheadMs">Milliseconds outside them.</param>
/// <param name="ConversionMs">Of the overhead: RGB24 ↔ tensor conversion (mean).</param>
/// <param name="EngineHandOffWaitMs">Of the overhead: submission to start of the engine calls (mean).</param>
/// <param name="RestMs">Of the overhead: the remainder (staging copies, scheduler math, bookkeeping), never below 0.</param>
/// <param name="OutsideOnnxShare">Overhead over frame time (0..1).</param>
/// <param name="OnnxFloorMs">The frame's ONNX calls back to back in a bare loop.</param>
/// <param name="AllocBytesPerFrame">Managed bytes allocated per frame, process-wide, steady state.</param>
public sealed record OverheadAtSize(
    double FrameMs,
    double OnnxMs,
    double OverheadMs,
    double ConversionMs,
    double EngineHandOffWaitMs,
    double RestMs,
    double OutsideOnnxShare,
    double OnnxFloorMs,
    double AllocBytesPerFrame)
{
    internal static OverheadAtSize From(OverheadResult overhead, double allocBytesPerFrame) => new(
        overhead.FrameMs,
        overhead.OnnxMs,
        overhead.OverheadMs,
        overhead.ConversionMs,
        overhead.QueueWaitMs,
        Math.Max(0, overhead.OverheadMs - overhead.ConversionMs - overhead.QueueWaitMs),
        overhead.FrameMs > 0 ? overhead.OverheadMs / overhead.FrameMs : 0,
        overhead.FloorMs,
        allocBytesPerFrame);
}
