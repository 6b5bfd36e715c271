using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Diffusion;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// <c>/models</c>: the same answer as gRPC <c>ListModels</c>, as protobuf JSON (<c>{"models":[{"name":"default",
/// "synthetic":true,"note":"...",...}]}</c>), so the web page can say when it is running the synthetic test pack.
/// </summary>
public static class ModelsEndpoint
{
    private static readonly JsonFormatter s_formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>Writes the list.</summary>
    public static async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var catalog = http.RequestServices.GetRequiredService<IModelCatalog>();
        var runtimes = http.RequestServices.GetService<ModelRuntimeRegistry>();
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync(s_formatter.Format(ModelInfoBuilder.Build(catalog, runtimes)), http.RequestAborted);
    }
}
