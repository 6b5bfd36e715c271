using System.Text.Json;
using StreamDiffusion.Pipeline.Benchmarks;

namespace StreamDiffusion.Pipeline.Tests.Benchmarks;

/// <summary>Runs the benchmark in its quick preset: every key present, every value in its range (no wall-clock asserts).</summary>
public sealed class PipelineBenchmarkTests
{
    private static readonly string[] s_topLevelKeys =
    [
        "stream_batch_vs_sequential",
        "zero_latency_fps",
        "latency_ms",
        "frame_ms_single_stream",
        "fps_4_streams_shared",
        "onnx_floor_ms_per_frame",
        "onnx_vs_floor",
        "rcfg_self_vs_full",
        "rcfg_initialize_vs_full",
        "ssf_static_unet_calls_saved",
        "ssf_moving_unet_calls_saved",
        "engine_batched_vs_separate_4_streams",
        "overhead_ms_per_frame",
        "overhead_parts_ms",
        "outside_onnx_share",
        "overhead_by_size",
        "codec_ms_per_frame",
        "alloc_bytes_per_frame",
        "machine",
        "settings",
    ];

    [Fact]
    public async Task Quick_run_reports_every_key_with_sane_values()
    {
        var progress = new List<BenchmarkProgress>();
        var options = BenchmarkOptions.QuickPreset with { PhotoPath = TestPaths.Image("astronaut.png") };

        var report = await PipelineBenchmark.RunAsync(options, progress.Add);

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal(s_topLevelKeys.Order(StringComparer.Ordinal), root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var streamBatch = root.GetProperty("stream_batch_vs_sequential");
        Assert.Equal(["2", "4"], streamBatch.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var ratio in streamBatch.EnumerateObject().Select(p => p.Value.GetDouble())
            .Concat([root.GetProperty("rcfg_self_vs_full").GetDouble(), root.GetProperty("rcfg_initialize_vs_full").GetDouble(), root.GetProperty("engine_batched_vs_separate_4_streams").GetDouble()]))
        {
            Assert.True(double.IsFinite(ratio) && ratio > 0, $"ratio {ratio}");
        }

        // Zero-latency runs n UNet calls per frame and answers in one frame time; Stream Batch takes n.
        Assert.Equal(["2", "4"], root.GetProperty("zero_latency_fps").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var latency = root.GetProperty("latency_ms");
        foreach (var n in new[] { 2, 4 })
        {
            var batched = latency.GetProperty($"stream_batch[{n}]").GetDouble();
            var zero = latency.GetProperty($"zero_latency[{n}]").GetDouble();
            Assert.True(zero > 0 && batched > 0, $"latencies {batched} / {zero}");
            Assert.Equal(1000.0 / root.GetProperty("zero_latency_fps").GetProperty($"{n}").GetDouble(), zero, 1e-6);
        }

        // The floor and the inside-ONNX ratios exist for one and four streams.
        Assert.True(root.GetProperty("onnx_floor_ms_per_frame").GetDouble() > 0);
        Assert.True(root.GetProperty("frame_ms_single_stream").GetDouble() > 0);
        Assert.True(root.GetProperty("fps_4_streams_shared").GetDouble() > 0);
        foreach (var key in new[] { "1", "4" })
        {
            var ratio = root.GetProperty("onnx_vs_floor").GetProperty(key).GetDouble();
            Assert.True(double.IsFinite(ratio) && ratio > 0, $"onnx_vs_floor[{key}] = {ratio}");
        }

        var still = root.GetProperty("ssf_static_unet_calls_saved").GetDouble();
        var moving = root.GetProperty("ssf_moving_unet_calls_saved").GetDouble();
        Assert.InRange(still, 0, 1);
        Assert.InRange(moving, 0, 1);

        // Identical frames are always skippable, so only the forced frame after every 10 skips runs:
        // 2 UNet calls in the 22 timed frames of the quick preset (after 2 warm-up frames).
        Assert.Equal(1 - (2.0 / 22), still, 1e-9);
        Assert.True(still >= 0.85);
        Assert.True(still > moving, $"static {still} should save more than moving {moving}");

        Assert.True(root.GetProperty("overhead_ms_per_frame").GetDouble() is > 0 and < 10_000);
        Assert.InRange(root.GetProperty("outside_onnx_share").GetDouble(), 0, 1);
        Assert.Equal(["engine_hand_off_wait", "rest", "rgb24_tensor_conversion"], root.GetProperty("overhead_parts_ms").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["128"], root.GetProperty("overhead_by_size").EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("codec_ms_per_frame").GetDouble() is > 0 and < 10_000);
        Assert.True(root.GetProperty("alloc_bytes_per_frame").GetDouble() >= 0);

        var machine = root.GetProperty("machine");
        Assert.Equal(Environment.ProcessorCount, machine.GetProperty("cores").GetInt32());
        Assert.Equal("Cpu", machine.GetProperty("ort_provider").GetString());
        Assert.False(string.IsNullOrWhiteSpace(machine.GetProperty("os").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(machine.GetProperty("dotnet").GetString()));

        var settings = root.GetProperty("settings");
        Assert.True(settings.GetProperty("quick").GetBoolean());
        Assert.Equal(128, settings.GetProperty("size").GetInt32());
        Assert.Equal("taesd", settings.GetProperty("codec").GetString());
        Assert.Equal("astronaut.png", settings.GetProperty("photo").GetString());

        // Progress: every phase in order, ending complete.
        Assert.Equal(Enumerable.Range(0, PipelineBenchmark.Phases.Count), progress.Select(p => p.PhaseIndex).Distinct());
        Assert.All(progress, p => Assert.InRange(p.Fraction, 0, 1));
        Assert.Equal(1, progress[^1].Fraction);
        Assert.NotEmpty(report.Details);
    }

    [Theory]
    [InlineData(100, 4, 1)]
    [InlineData(128, 0, 1)]
    [InlineData(128, 4, 0)]
    public async Task Bad_options_are_refused_before_any_work(int size, int frames, int warmup)
    {
        var options = BenchmarkOptions.QuickPreset with { Size = size, Frames = frames, Warmup = warmup };

        await Assert.ThrowsAsync<ArgumentException>(() => PipelineBenchmark.RunAsync(options));
    }

    [Fact]
    public void Report_json_uses_the_documented_names()
    {
        var report = new BenchmarkReport
        {
            StreamBatchVsSequential = new Dictionary<string, double> { ["2"] = 1.5, ["4"] = 2.5 },
            ZeroLatencyFps = new Dictionary<string, double> { ["2"] = 10, ["4"] = 5 },
            LatencyMs = new Dictionary<string, double> { ["stream_batch[2]"] = 120, ["zero_latency[2]"] = 100 },
            FrameMsSingleStream = 30,
            FramesPerSecond4Streams = 40,
            OnnxFloorMsPerFrame = 28,
            OnnxVsFloor = new Dictionary<string, double> { ["1"] = 1.02, ["4"] = 1.3 },
            RcfgSelfVsFull = 1.9,
            RcfgInitializeVsFull = 1.3,
            SsfStaticUnetCallsSaved = 0.9,
            SsfMovingUnetCallsSaved = 0.2,
            EngineBatchedVsSeparate4Streams = 1.1,
            OverheadMsPerFrame = 3,
            OverheadPartsMs = new Dictionary<string, double> { ["rgb24_tensor_conversion"] = 0.5, ["engine_hand_off_wait"] = 0.25, ["rest"] = 0.25 },
            OutsideOnnxShare = 0.1,
            OverheadBySize = new Dictionary<string, OverheadAtSize> { ["512"] = new(30, 27, 3, 0.5, 0.25, 0.25, 0.1, 26, 512) },
            CodecMsPerFrame = 4,
            AllocBytesPerFrame = 512,
            Machine = new BenchmarkMachine(2, "cpu", "os", ".NET", "1.0", "Cpu", 1),
            Settings = new BenchmarkSettings
            {
                Model = "synthetic",
                Codec = "taesd",
                Size = 512,
                Frames = 1,
                Warmup = 1,
                FilterFrames = 1,
                ChunkFrames = 1,
                TIndexLists = new Dictionary<string, int[]> { ["2"] = [32, 45] },
                Cfg = "self",
                Guidance = 1.2f,
                FilterThreshold = 0.98,
                FilterMaxSkip = 10,
                Streams = 4,
                SharedMaxBatch = 8,
                SeparateMaxBatch = 1,
                Photo = "test card",
                PanFrames = 96,
                AllocationCounter = "x",
                Quick = false,
            },
        };

        using var json = JsonDocument.Parse(report.ToJson());

        Assert.Equal(s_topLevelKeys.Order(StringComparer.Ordinal), json.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(1.1, json.RootElement.GetProperty("engine_batched_vs_separate_4_streams").GetDouble());
        Assert.Equal(1.02, json.RootElement.GetProperty("onnx_vs_floor").GetProperty("1").GetDouble());
        Assert.Equal(40, json.RootElement.GetProperty("fps_4_streams_shared").GetDouble());
        Assert.Equal(2.5, json.RootElement.GetProperty("stream_batch_vs_sequential").GetProperty("4").GetDouble());
        Assert.Equal("Cpu", json.RootElement.GetProperty("machine").GetProperty("ort_provider").GetString());
        Assert.Equal(8, json.RootElement.GetProperty("settings").GetProperty("shared_max_batch").GetInt32());
        Assert.Equal(0.25, json.RootElement.GetProperty("overhead_parts_ms").GetProperty("engine_hand_off_wait").GetDouble());
        Assert.Equal(0.1, json.RootElement.GetProperty("outside_onnx_share").GetDouble());
        var at512 = json.RootElement.GetProperty("overhead_by_size").GetProperty("512");
        Assert.Equal(
            ["alloc_bytes_per_frame", "conversion_ms", "engine_hand_off_wait_ms", "frame_ms", "onnx_floor_ms", "onnx_ms", "outside_onnx_share", "overhead_ms", "rest_ms"],
            at512.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Quick_run_with_more_sizes_reports_the_overhead_and_its_parts_at_each()
    {
        var options = BenchmarkOptions.QuickPreset with { OverheadSizes = [64, 128, 192] };

        var report = await PipelineBenchmark.RunAsync(options);

        // The run's own size once, plus each further size, with consistent parts.
        Assert.Equal(["128", "192", "64"], report.OverheadBySize.Keys.Order(StringComparer.Ordinal));
        foreach (var (size, figures) in report.OverheadBySize)
        {
            Assert.True(figures.FrameMs > 0 && figures.OnnxMs > 0 && figures.OnnxFloorMs > 0, $"{size}: {figures}");
            Assert.True(figures.OverheadMs > 0 && figures.OverheadMs < figures.FrameMs, $"{size}: {figures}");
            Assert.Equal(figures.OverheadMs / figures.FrameMs, figures.OutsideOnnxShare, 1e-9);
            Assert.True(figures.ConversionMs > 0 && figures.EngineHandOffWaitMs >= 0 && figures.RestMs >= 0, $"{size}: {figures}");
            Assert.True(figures.AllocBytesPerFrame >= 0, $"{size}: {figures}");
        }

        // The top-level figures are the run's own size.
        var own = report.OverheadBySize["128"];
        Assert.Equal(report.OverheadMsPerFrame, own.OverheadMs);
        Assert.Equal(report.OutsideOnnxShare, own.OutsideOnnxShare);
        Assert.Equal(own.ConversionMs, report.OverheadPartsMs["rgb24_tensor_conversion"]);
        Assert.Equal(own.EngineHandOffWaitMs, report.OverheadPartsMs["engine_hand_off_wait"]);
        Assert.Equal(own.RestMs, report.OverheadPartsMs["rest"]);
    }

    [Fact]
    public async Task A_bad_extra_size_is_refused_before_any_work()
    {
        var options = BenchmarkOptions.QuickPreset with { OverheadSizes = [256, 100] };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => PipelineBenchmark.RunAsync(options));
        Assert.Contains("got 100", error.Message, StringComparison.Ordinal);
    }
}
