using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Tests;

public sealed class HostSurfaceTests
{
    [Fact]
    public async Task Health_reports_serving_over_grpc_and_http()
    {
        await using var host = await LoopbackHost.StartAsync();
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "streamdiffusion.v1.StreamDiffusion" })).Status);

        using var response = await host.Http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Reflection_lists_the_services()
    {
        await using var host = await LoopbackHost.StartAsync();
        var reflection = new ServerReflection.ServerReflectionClient(host.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("streamdiffusion.v1.StreamDiffusion", names);
        Assert.Contains("grpc.health.v1.Health", names);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "streamdiffusion.v1.StreamDiffusion" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.NotEmpty(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto);
        await call.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_match_what_was_sent()
    {
        await using var host = await LoopbackHost.StartAsync();
        var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
        using (call)
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Null((await Frames.RoundTripAsync(call, Frames.Raw(8, 8, (ulong)i, i))).Error);
            }

            var bad = Frames.Raw(8, 8, 10, 0);
            bad.Height = 9;
            Assert.NotNull((await Frames.RoundTripAsync(call, bad)).Error);
            bad.Sequence = 11;
            Assert.NotNull((await Frames.RoundTripAsync(call, bad)).Error);

            var during = await MetricsText.ReadAsync(host);
            Assert.Equal(1, during.Value("streamdiffusion_sessions_active"));
            await Frames.CompleteAsync(call);
        }

        var metrics = await MetricsText.ReadAsync(host);
        Assert.StartsWith("text/plain", metrics.ContentType, StringComparison.Ordinal);
        Assert.Equal(12, metrics.Value("streamdiffusion_frames_in_total"));
        Assert.Equal(10, metrics.Value("streamdiffusion_frames_out_total"));
        Assert.Equal(2, metrics.Value("streamdiffusion_frames_failed_total"));
        Assert.Equal(0, metrics.Value("streamdiffusion_frames_dropped_total"));
        Assert.Equal(0, metrics.Value("streamdiffusion_frames_skipped_total"));
        Assert.Equal(1, metrics.Value("streamdiffusion_sessions_started_total"));
        Assert.Equal(0, metrics.Value("streamdiffusion_sessions_active"));
        Assert.Equal(0, metrics.Value("streamdiffusion_queue_depth"));
        Assert.Equal(10, metrics.Value("streamdiffusion_frame_latency_seconds_count"));
        Assert.Equal(10, metrics.Value("streamdiffusion_frame_latency_seconds_bucket", "le=\"+Inf\""));
        Assert.Equal(12, metrics.Value("streamdiffusion_frame_stage_seconds_count", "stage=\"queue\""));
        Assert.Equal(10, metrics.Value("streamdiffusion_frame_stage_seconds_count", "stage=\"denoise\""));
    }

    [Fact]
    public async Task Unary_calls_describe_the_host_and_generate_an_image()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Models:DefaultModel=turbo", "Models:Packs:turbo:Path=/packs/turbo",
            "Models:Packs:turbo:ImageSize=256", "Models:Packs:sd15:Path=/packs/sd15");
        var models = await host.Client.ListModelsAsync(new ListModelsRequest());
        Assert.Equal(["sd15", "turbo"], models.Models.Select(m => m.Name));
        Assert.True(models.Models.Single(m => m.Name == "turbo").IsDefault);
        Assert.Equal(256, models.Models.Single(m => m.Name == "turbo").ImageSize);

        // Configured folders without the synthetic marker are real packs: no notice.
        Assert.All(models.Models, m => Assert.False(m.Synthetic));
        Assert.All(models.Models, m => Assert.Empty(m.Note));

        var caps = await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest());
        Assert.Equal(4, caps.MaxSessions);
        Assert.Equal(1024, caps.MaxWidth);
        Assert.True(caps.MaxMessageBytes >= 1024 * 1024 * 3);
        Assert.Equal(50, caps.NumInferenceSteps);
        Assert.Equal("echo", caps.Processor);
        Assert.Contains(FrameFormat.Bgr24, caps.InputFormats);

        // Size 0 takes the model's native size.
        var image = await host.Client.GenerateAsync(new GenerateRequest { Prompt = "a cat", Seed = 9 });
        Assert.Equal(256, image.Width);
        Assert.Equal(256 * 256 * 3, image.Data.Length);
        Assert.Equal(9, image.Data[0]);

        var img2img = Frames.Raw(8, 8, 0, 1);
        var fromImage = await host.Client.GenerateAsync(new GenerateRequest { Model = "sd15", Image = img2img, Width = 64, Height = 64 });
        Assert.Equal(Frames.ExpectedEcho(img2img), fromImage.Data.ToByteArray());

        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Client.GenerateAsync(new GenerateRequest { Model = "nope" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        using var video = host.Client.GenerateVideo(new GenerateVideoRequest());
        var ex = await Assert.ThrowsAsync<RpcException>(() => video.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Contains("GenerateVideo", ex.Status.Detail, StringComparison.Ordinal);
    }
}
