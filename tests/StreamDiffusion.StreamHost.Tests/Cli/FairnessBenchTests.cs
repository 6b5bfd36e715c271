using StreamDiffusion.StreamHost.Cli.Fairness;
using StreamDiffusion.StreamHost.Tests.Diffusion;

namespace StreamDiffusion.StreamHost.Tests.Cli;

/// <summary><c>bench fairness</c> briefly, on the quick preset: the report's shape, and every stream made progress (no timing asserts).</summary>
public sealed class FairnessBenchTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    [Fact]
    public async Task A_quick_run_reports_every_paced_stream_alone_and_beside_the_greedy_one_and_all_made_progress()
    {
        var options = FairnessOptions.Quick with { Model = fixture.PackPath, PacedFps = 4 };
        var lines = new List<string>();
        var report = await FairnessBench.RunAsync(options, "test", lines.Add, CancellationToken.None);

        Assert.Equal(3, report.Alone.Streams.Count);
        Assert.All(report.Alone.Streams, s => Assert.Equal("paced", s.Role));
        Assert.Equal(["paced", "paced", "paced", "greedy"], report.WithGreedy.Streams.Select(s => s.Role));
        Assert.All(report.Alone.Streams.Concat(report.WithGreedy.Streams), s =>
        {
            Assert.True(s.Processed > 0, $"a {s.Role} stream got no frame back");
            Assert.Equal(0, s.Failed);
            Assert.True(s.LatencyMsMean > 0);
        });
        Assert.All(report.Alone.Streams, s => Assert.Equal(4, s.OfferedFps));
        Assert.Equal(3, report.PacedFpsRatios.Count);
        Assert.All(report.PacedFpsRatios, r => Assert.True(r > 0));
        Assert.Null(report.CalibratedCapacityFps);
        Assert.Equal(4, report.PacedFps);
        Assert.True(report.Machine.Cores > 0);
        Assert.Equal(2, lines.Count);
    }
}
