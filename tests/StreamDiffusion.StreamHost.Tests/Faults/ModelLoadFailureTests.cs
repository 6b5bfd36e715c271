using Grpc.Core;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Tests.Diffusion;

namespace StreamDiffusion.StreamHost.Tests.Faults;

/// <summary>A model that fails to load is disabled alone: the host starts, the other models serve, ListModels says why.</summary>
public sealed class ModelLoadFailureTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    [Fact]
    public async Task A_model_that_fails_to_load_is_listed_with_its_reason_and_refused_while_the_others_serve()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"sdnet-missing-pack-{Guid.NewGuid():N}");
        await using var host = await LoopbackHost.StartAsync(
            LoopbackHost.WithDiffusion,
            "Models:DefaultModel=good",
            $"Models:Packs:good:Path={fixture.PackPath}",
            $"Models:Packs:broken:Path={missing}");

        var models = (await host.Client.ListModelsAsync(new ListModelsRequest())).Models;
        var broken = Assert.Single(models, m => m.Name == "broken");
        var good = Assert.Single(models, m => m.Name == "good");
        Assert.NotEmpty(broken.LoadError);
        Assert.Empty(good.LoadError);

        var config = Frames.RawConfig(64);
        config.Model = "broken";
        using (var call = host.Client.Stream())
        {
            await call.RequestStream.WriteAsync(Frames.Config(config));
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            Assert.Contains("'broken'", error.Status.Detail, StringComparison.Ordinal);
            Assert.Contains(broken.LoadError, error.Status.Detail, StringComparison.Ordinal);
        }

        var generate = await Assert.ThrowsAsync<RpcException>(() => host.Client.GenerateAsync(new GenerateRequest
        {
            Model = "broken",
            Prompt = "a test",
            Width = 64,
            Height = 64,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, generate.StatusCode);

        // The configured default still serves, and a failed load is no engine fault: the host stays SERVING.
        var (session, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig(64));
        using (session)
        {
            Assert.Null((await Frames.RoundTripAsync(session, Frames.Raw(64, 64, 1, 1))).Error);
            await Frames.CompleteAsync(session);
        }

        var health = new Grpc.Health.V1.Health.HealthClient(host.Channel);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task A_host_whose_only_model_fails_to_load_does_not_start()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"sdnet-missing-pack-{Guid.NewGuid():N}");
        var app = Serving.ServeCommand.Build(
        [
            "--Listen:GrpcUrl=http://127.0.0.1:0",
            "--Listen:HttpUrl=http://127.0.0.1:0",
            "--Serilog:MinimumLevel:Default=Fatal",
            "--Models:DefaultModel=only",
            $"--Models:Packs:only:Path={missing}",
        ]);
        await using (app)
        {
            var error = await Assert.ThrowsAsync<Pipeline.Models.ModelPackException>(() => app.StartAsync());
            Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        }
    }
}
