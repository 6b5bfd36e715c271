using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>The real host (echo processor unless replaced) over Kestrel on loopback with free ports, and a channel to it.</summary>
internal sealed class LoopbackHost : IAsyncDisposable
{
    private LoopbackHost(WebApplication app)
    {
        App = app;
        GrpcAddress = app.Services.GetRequiredService<HostEndpoints>().GrpcAddress;
        Channel = GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
    }

    public WebApplication App { get; }

    public Uri GrpcAddress { get; }

    public GrpcChannel Channel { get; }

    /// <summary>
    /// Starts a host; settings are "Section:Key=value" pairs. Without <paramref name="configure"/> it
    /// runs the echo processor, so the client's tests check transport, not model numerics.
    /// </summary>
    public static async Task<LoopbackHost> StartAsync(Action<IServiceCollection>? configure = null, params string[] settings)
    {
        configure ??= services => services.AddSingleton<StreamDiffusion.StreamHost.Sessions.IStreamProcessorFactory, StreamDiffusion.StreamHost.Sessions.EchoStreamProcessorFactory>();
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

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
