using System.Globalization;

namespace StreamDiffusion.LoadTest.Tests;

public sealed class EngineMetricsTests
{
    [Fact]
    public async Task Metrics_expose_the_denoiser_engines_busy_time_ratio_and_queue_for_autoscaling()
    {
        // The real pipeline on the embedded default model, so the engine does real model calls.
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion);
        using var run = new TestRun();
        var options = TestRun.Options([host.GrpcAddress], host.HttpAddress) with { Streams = 2, Fps = 10, FramesPerStream = 10 };

        Assert.Equal(0, await run.ExecuteAsync(options));

        var report = run.Json("report.json");
        var before = report.GetProperty("metrics_before")[0].GetProperty("samples");
        var after = report.GetProperty("metrics_after")[0].GetProperty("samples");
        const string busy = "streamdiffusion_engine_busy_seconds_total{model=\"default\"}";
        Assert.True(after.GetProperty(busy).GetDouble() > before.GetProperty(busy).GetDouble(),
            string.Create(CultureInfo.InvariantCulture, $"busy seconds did not grow: {before.GetProperty(busy)} -> {after.GetProperty(busy)}"));

        // Over the run the engine did work, so the ratio since the previous scrape is above 0, and never above 1.
        Assert.InRange(after.GetProperty("streamdiffusion_engine_busy_ratio{model=\"default\"}").GetDouble(), double.Epsilon, 1);
        Assert.Equal(0, after.GetProperty("streamdiffusion_engine_queue_depth{model=\"default\"}").GetDouble());
        Assert.Equal(0, after.GetProperty("streamdiffusion_sessions_active").GetDouble());
        Assert.Equal(4, after.GetProperty("streamdiffusion_sessions_max").GetDouble());
    }
}
