using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serilog;
using StreamDiffusion.StreamHost.Broadcast;
using StreamDiffusion.StreamHost.Diffusion;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Security;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Serving;

/// <summary>
/// The <c>serve</c> verb: builds and runs the host (gRPC on one port; on another, HTTP/1.1: the web page,
/// /ws/stream, /sessions, /sessions/{id}/mjpeg, /healthz and /metrics).
/// Configuration: appsettings.json, then environment variables, then command-line <c>--Section:Key=value</c>.
/// </summary>
public static class ServeCommand
{
    /// <summary>Service name the gRPC health service also reports under (besides the overall "").</summary>
    public const string GrpcServiceName = "streamdiffusion.v1.StreamDiffusion";

    /// <summary>Runs the host until <paramref name="cancellationToken"/> fires or the process is signalled.</summary>
    /// <returns>0 after a clean shutdown, 1 when the host failed to start or crashed.</returns>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync("Configuration error: " + ex.Message).ConfigureAwait(false);
            return 1;
        }

        await using (app.ConfigureAwait(false))
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServeCommand));
            try
            {
                // Fail fast on a bad model configuration instead of at the first call.
                _ = app.Services.GetRequiredService<IModelCatalog>();
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                var endpoints = app.Services.GetRequiredService<HostEndpoints>();
                var processor = app.Services.GetRequiredService<IStreamProcessorFactory>();
                logger.LogInformation("Serving gRPC on {GrpcAddress}, the web page, /healthz and /metrics on {HttpAddress}; frame processor: {Processor}",
                    endpoints.GrpcAddress, endpoints.HttpAddress, processor.Name);
                if (processor is EchoStreamProcessorFactory)
                {
                    logger.LogWarning("The echo frame processor is in use: frames are echoed, not diffused");
                }

                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (StreamDiffusion.Pipeline.Models.ModelPackException ex)
            {
                logger.LogCritical("Model pack error: {Message}", ex.Message);
                return 1;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException)
            {
                logger.LogCritical(ex, "The host failed");
                return 1;
            }
        }
    }

    /// <summary>
    /// Builds the host without starting it. <paramref name="configure"/> runs after the default registrations, so
    /// it can replace <see cref="IStreamProcessorFactory"/> (default <see cref="EchoStreamProcessorFactory"/>) or
    /// <see cref="IModelCatalog"/> (default <see cref="ConfiguredModelCatalog"/>).
    /// </summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        var configuration = builder.Configuration;
        var limits = Bind<LimitsOptions>(configuration, LimitsOptions.SectionName);
        var capacity = Bind<CapacityOptions>(configuration, CapacityOptions.SectionName);
        var listen = Bind<ListenEndpointsOptions>(configuration, ListenEndpointsOptions.SectionName);
        Check(limits, capacity);
        var tls = Bind<TlsOptions>(configuration, TlsOptions.SectionName);
        var certificate = tls.Enabled ? tls.Load() : null;
        var grpcEndpoint = HostEndpoints.ParseEndpoint(listen.GrpcUrl, "Listen:GrpcUrl", tls.Enabled);
        var httpEndpoint = HostEndpoints.ParseEndpoint(listen.HttpUrl, "Listen:HttpUrl");

        var services = builder.Services;
        services.Configure<LimitsOptions>(configuration.GetSection(LimitsOptions.SectionName));
        services.Configure<CapacityOptions>(configuration.GetSection(CapacityOptions.SectionName));
        services.Configure<ListenEndpointsOptions>(configuration.GetSection(ListenEndpointsOptions.SectionName));
        services.Configure<ModelsOptions>(configuration.GetSection(ModelsOptions.SectionName));
        var auth = services.AddStreamHostAuth(configuration, [(listen.GrpcUrl, grpcEndpoint), (listen.HttpUrl, httpEndpoint)]);

        // One logger per host (tests run several); the static Log.Logger is left to the CLI.
        services.AddSerilog((_, logger) => logger.ReadFrom.Configuration(configuration).Enrich.FromLogContext(), preserveStaticLogger: true);

        var endpoints = new HostEndpoints();
        services.AddSingleton(endpoints);
        services.AddSingleton<ReplicaIdentity>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(grpcEndpoint, o =>
            {
                if (certificate is not null)
                {
                    // With TLS, ALPN tells gRPC (h2) from the web page, WebSocket and MJPEG (http/1.1) on one port.
                    o.Protocols = HttpProtocols.Http1AndHttp2;
                    o.UseHttps(certificate);
                }
                else
                {
                    o.Protocols = HttpProtocols.Http2;
                }

                endpoints.SetGrpc(o, certificate is not null);
            });
            kestrel.Listen(httpEndpoint, o =>
            {
                o.Protocols = HttpProtocols.Http1;
                endpoints.SetHttp(o);
            });

            // Bigger windows so a multi-megabyte raw frame is not throttled by flow control round trips.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
        });

        // Kestrel must outlive the drain, which takes up to DrainTimeout plus the cancellation unwind.
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = capacity.DrainTimeout + TimeSpan.FromSeconds(10));

        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = limits.MaxMessageBytes;
            o.MaxSendMessageSize = limits.MaxMessageBytes;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<DrainHealthCheck>("sessions").AddCheck<EngineHealthCheck>("engines");
        services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o => o.Services.Map(GrpcServiceName, _ => true));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<HostMetrics>();
        services.AddSingleton<EngineMetrics>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<StreamSessionRunner>();
        services.AddSingleton<LongVideo.LongVideoSessions>();
        services.AddStreamHostWeb();
        services.AddStreamHostBroadcast(configuration);
        services.TryAddSingleton<IModelCatalog, ConfiguredModelCatalog>();
        services.TryAddSingleton<ModelRuntimeRegistry>();
        services.TryAddSingleton<IStreamProcessorFactory, DiffusionStreamProcessorFactory>();
        services.AddHostedService<ModelPreloadService>();
        services.AddHostedService<SessionDrainService>();

        configure?.Invoke(services);

        var app = builder.Build();
        _ = app.Services.GetRequiredService<EngineMetrics>();
        var replica = app.Services.GetRequiredService<ReplicaIdentity>();
        app.Use(next => ReplicaIdentity.Middleware(next, replica));
        app.UseStreamHostAuth(auth);
        app.MapStreamHostWeb();
        app.MapStreamHostBroadcast();
        app.MapGrpcService<StreamDiffusionGrpcEndpoint>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        app.MapHealthChecks("/healthz");
        app.MapGet("/metrics", async (HttpContext context, HostMetrics metrics) =>
        {
            context.Response.ContentType = PrometheusConstants.TextContentTypeWithVersionAndEncoding;
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new() => configuration.GetSection(section).Get<T>() ?? new T();

    private static void Check(LimitsOptions limits, CapacityOptions capacity)
    {
        Require(limits.MaxSessions >= 1, "Limits:MaxSessions must be at least 1");
        Require(limits.MaxWidth >= 8 && limits.MaxHeight >= 8, "Limits:MaxWidth and Limits:MaxHeight must be at least 8");
        Require(limits.MaxFrameBytes >= 1 && limits.MaxFrameBytes <= int.MaxValue - LimitsOptions.MessageOverheadBytes,
            "Limits:MaxFrameBytes is out of range");
        Require(limits.MaxConsecutiveBadFrames >= 1, "Limits:MaxConsecutiveBadFrames must be at least 1");
        Require(capacity.InputQueueCapacity is >= 1 and <= 64, "Capacity:InputQueueCapacity must be 1..64 (1-2 for live video)");
        Require(capacity.MaxPendingAnswers >= capacity.InputQueueCapacity + 1 && capacity.MaxPendingAnswers <= 4096,
            "Capacity:MaxPendingAnswers must be at least Capacity:InputQueueCapacity + 1 and at most 4096");
        Require(capacity.ClientReadTimeout > TimeSpan.Zero, "Capacity:ClientReadTimeout must be positive");
        Require(capacity.StatsInterval > TimeSpan.Zero, "Capacity:StatsInterval must be positive");
        Require(capacity.DrainTimeout >= TimeSpan.Zero, "Capacity:DrainTimeout must not be negative");
        Require(double.IsFinite(capacity.MaxFramesPerSecondPerStream) && capacity.MaxFramesPerSecondPerStream is >= 0 and <= SessionSettingsValidator.MaxFps,
            "Capacity:MaxFramesPerSecondPerStream must be 0 (no cap) .. 1000");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
