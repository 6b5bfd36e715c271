using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Sessions;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.StreamHost.Tests;

/// <summary>A real host on loopback with free ports, plus a gRPC channel and an HTTP client to it.</summary>
internal sealed class LoopbackHost : IAsyncDisposable
{
    private bool _stopped;

    private LoopbackHost(WebApplication app)
    {
        App = app;
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();
        GrpcAddress = endpoints.GrpcAddress;
        HttpAddress = endpoints.HttpAddress;
        Channel = GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 16 * 1024 * 1024,
        });
        Client = new Client(Channel);
        Http = new HttpClient { BaseAddress = HttpAddress };
    }

    public WebApplication App { get; }

    public Uri GrpcAddress { get; }

    public Uri HttpAddress { get; }

    public GrpcChannel Channel { get; }

    public Client Client { get; }

    public HttpClient Http { get; }

    /// <summary>The echo stand-in processor (transport tests).</summary>
    public static void UseEcho(IServiceCollection services) => services.AddSingleton<IStreamProcessorFactory, EchoStreamProcessorFactory>();

    /// <summary>Keeps the default registrations: the real diffusion pipeline on the configured models.</summary>
    public static void WithDiffusion(IServiceCollection services)
    {
    }

    public HostMetrics Metrics => App.Services.GetRequiredService<HostMetrics>();

    /// <summary>
    /// Starts a host; settings are "Section:Key=value" pairs. Without <paramref name="configure"/>
    /// the host runs the echo processor, so transport tests do not depend on model numerics; pass
    /// <see cref="WithDiffusion"/> for the real pipeline.
    /// </summary>
    public static async Task<LoopbackHost> StartAsync(Action<IServiceCollection>? configure = null, params string[] settings)
    {
        configure ??= UseEcho;
        string[] defaults =
        [
            "--Listen:GrpcUrl=http://127.0.0.1:0",
            "--Listen:HttpUrl=http://127.0.0.1:0",
            "--Serilog:MinimumLevel:Default=Warning",
            "--Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime=Warning",
        ];
        var app = ServeCommand.Build([.. defaults, .. settings.Select(s => "--" + s)], configure);
        await app.StartAsync();
        return new LoopbackHost(app);
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await App.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await StopAsync();
        await App.DisposeAsync();
    }
}
