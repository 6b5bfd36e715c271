using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Diffusion;
using StreamDiffusion.StreamHost.Tests.Diffusion;
using StreamDiffusion.StreamHost.Tests.Reliability;

namespace StreamDiffusion.StreamHost.Tests.Faults;

/// <summary>
/// Model faults over real gRPC on loopback, injected through <see cref="FaultInjector"/> (a decorator registered
/// through DI) into the denoiser calls of one session size: a failing or NaN-returning call fails that session's
/// frames only, a disconnect while a call is stuck frees everything, a dead engine worker is replaced, and an engine
/// whose workers keep dying makes the host NOT_SERVING.
/// </summary>
public sealed class ModelFaultTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    // Sessions of different sizes never share a denoiser call, so a fault aimed at one size hits one session.
    private const int FaultySize = 64;
    private const int HealthySize = 128;

    [Theory]
    [InlineData(FaultKind.Throw)]
    [InlineData(FaultKind.NonFinite)]
    public async Task A_failing_model_call_fails_only_the_affected_sessions_frames_which_recover_when_it_clears(FaultKind kind)
    {
        using var faults = new FaultInjector();
        var log = new CapturedLog();
        await using var host = await StartAsync(faults, log);
        var (faulty, started) = await Frames.OpenAsync(host.Client, Frames.RawConfig(FaultySize));
        using var _ = faulty;
        var (healthy, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig(HealthySize));
        using var __ = healthy;

        faults.Arm(kind, FaultySize);
        for (var i = 1UL; i <= 3; i++)
        {
            var failed = await Frames.RoundTripAsync(faulty, Frames.Raw(FaultySize, FaultySize, i, 1));
            Assert.Equal(i, failed.Sequence);
            Assert.NotNull(failed.Error);
            Assert.Equal((int)StatusCode.Internal, failed.Error.Code);
            Assert.StartsWith("processing failed", failed.Error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", failed.Error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.True(failed.Data.IsEmpty);
            if (kind == FaultKind.NonFinite)
            {
                Assert.Contains("NaN or infinite", failed.Error.Message, StringComparison.Ordinal);
            }

            var served = await Frames.RoundTripAsync(healthy, Frames.Raw(HealthySize, HealthySize, i, 2));
            Assert.Null(served.Error);
            Assert.Equal(HealthySize * HealthySize * 3, served.Data.Length);
        }

        Assert.Equal(3, faults.Hits);
        faults.Disarm();
        for (var i = 4UL; i <= 5; i++)
        {
            var recovered = await Frames.RoundTripAsync(faulty, Frames.Raw(FaultySize, FaultySize, i, 1));
            Assert.Null(recovered.Error);
            Assert.Equal(FaultySize * FaultySize * 3, recovered.Data.Length);
        }

        var (_, final) = await Frames.CompleteAsync(faulty);
        Assert.Equal(StatusCode.OK, faulty.GetStatus().StatusCode);
        Assert.Equal(3UL, final!.FramesFailed);
        Assert.Equal(2UL, final.FramesOut);
        await Frames.CompleteAsync(healthy);
        Assert.Equal(StatusCode.OK, healthy.GetStatus().StatusCode);

        // The operator finds the session in the log at Error, with the exception the client was not shown.
        var logged = Assert.Single(log.Events, e => e.Level == LogEventLevel.Error && e.RenderMessage(null).Contains(started.SessionId, StringComparison.Ordinal));
        Assert.NotNull(logged.Exception);
        Assert.IsType(kind == FaultKind.Throw ? typeof(InvalidOperationException) : typeof(NonFiniteOutputException), logged.Exception);
    }

    [Fact]
    public async Task A_client_that_disconnects_while_its_model_call_is_stuck_frees_its_slot_and_engine_registrations()
    {
        using var faults = new FaultInjector();
        await using var host = await StartAsync(faults);
        var runtime = Runtime(host);
        faults.Arm(FaultKind.Block, FaultySize);
        using (var cts = new CancellationTokenSource())
        {
            using var call = host.Client.Stream(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig(FaultySize)));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            await call.RequestStream.WriteAsync(Frames.Request(Frames.Raw(FaultySize, FaultySize, 1, 1)));
            await faults.WaitUntilBlockedAsync();
            Assert.Equal(1, runtime.Denoiser.GetStats().RegisteredClients);
            Assert.Equal(1, (await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest())).ActiveSessions);
            await cts.CancelAsync();
        }

        // Freed while the model call is still stuck.
        await EventuallyAsync(async () =>
            (await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest())).ActiveSessions == 0
            && runtime.Denoiser.GetStats().RegisteredClients == 0
            && runtime.Codec.GetStats().RegisteredClients == 0);
        var metrics = await MetricsText.ReadAsync(host);
        Assert.Equal(0, metrics.Value("streamdiffusion_sessions_active"));
        Assert.Equal(0, metrics.Value("streamdiffusion_queue_depth"));
        Assert.True(runtime.Denoiser.GetStats().CancelledRequests >= 1);

        // The stuck call ends and the engine serves the next client.
        faults.Disarm();
        var (next, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig(FaultySize));
        using (next)
        {
            var output = await Frames.RoundTripAsync(next, Frames.Raw(FaultySize, FaultySize, 1, 1));
            Assert.Null(output.Error);
            await Frames.CompleteAsync(next);
        }

        Assert.Equal(0, runtime.Denoiser.GetStats().QueueDepth);
    }

    [Fact]
    public async Task An_engine_worker_that_dies_is_replaced_and_the_session_keeps_streaming()
    {
        using var faults = new FaultInjector();
        await using var host = await StartAsync(faults);
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig(FaultySize));
        using var _ = call;
        faults.Arm(FaultKind.KillWorker, FaultySize, calls: 1);
        var failed = await Frames.RoundTripAsync(call, Frames.Raw(FaultySize, FaultySize, 1, 1));
        Assert.Equal((int)StatusCode.Internal, failed.Error.Code);
        Assert.DoesNotContain("secret", failed.Error.Message, StringComparison.OrdinalIgnoreCase);
        for (var i = 2UL; i <= 4; i++)
        {
            Assert.Null((await Frames.RoundTripAsync(call, Frames.Raw(FaultySize, FaultySize, i, 1))).Error);
        }

        await Frames.CompleteAsync(call);
        var stats = Runtime(host).Denoiser.GetStats();
        Assert.Equal(1, stats.WorkerRestarts);
        Assert.Null(stats.FaultReason);
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task An_engine_whose_workers_keep_dying_stops_its_frames_fail_UNAVAILABLE_and_the_host_reports_NOT_SERVING()
    {
        using var faults = new FaultInjector();
        await using var host = await StartAsync(faults);
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig(FaultySize));
        using var _ = call;
        faults.Arm(FaultKind.KillWorker, FaultySize);
        var codes = new List<int>();
        for (var i = 1UL; i <= 12 && !codes.Contains((int)StatusCode.Unavailable); i++)
        {
            var output = await Frames.RoundTripAsync(call, Frames.Raw(FaultySize, FaultySize, i, 1));
            Assert.NotNull(output.Error);
            codes.Add(output.Error.Code);
        }

        // The default budget restarts three workers in a row; the fourth death stops the engine.
        Assert.Equal(BatchingOptions.DefaultMaxWorkerRestarts + 1, codes.Count(c => c == (int)StatusCode.Internal));
        Assert.Equal((int)StatusCode.Unavailable, codes[^1]);
        Assert.Contains($"{BatchingOptions.DefaultMaxWorkerRestarts + 1} engine worker failure(s) in a row", Runtime(host).FaultReason, StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
            (await health.CheckAsync(new HealthCheckRequest { Service = Serving.ServeCommand.GrpcServiceName })).Status);
        using var healthz = await host.Http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.False(healthz.IsSuccessStatusCode);
    }

    private Task<LoopbackHost> StartAsync(FaultInjector faults, CapturedLog? log = null) =>
        LoopbackHost.StartAsync(
            services =>
            {
                services.AddSingleton<IModelComponentDecorator>(faults);
                log?.AddTo(services);
            },
            fixture.Settings());

    private static Pipeline.Batching.ModelRuntime Runtime(LoopbackHost host)
    {
        Assert.True(host.App.Services.GetRequiredService<ModelRuntimeRegistry>().TryGetLoaded("default", out var runtime));
        return runtime;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(20);
        }
    }
}
