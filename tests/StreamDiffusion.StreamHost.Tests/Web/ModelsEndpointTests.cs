using System.Text.Json;
using StreamDiffusion.Protos.V1;
using Xunit;

namespace StreamDiffusion.StreamHost.Tests.Web;

public sealed class ModelsEndpointTests
{
    [Fact]
    public async Task Models_says_when_the_default_is_the_embedded_synthetic_pack()
    {
        // No packs configured: the embedded default, which is always the synthetic test pack.
        await using var host = await LoopbackHost.StartAsync();
        var json = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/models", UriKind.Relative))).RootElement;
        var model = Assert.Single(json.GetProperty("models").EnumerateArray());
        Assert.Equal("default", model.GetProperty("name").GetString());
        Assert.True(model.GetProperty("isDefault").GetBoolean());
        Assert.True(model.GetProperty("synthetic").GetBoolean());
        Assert.Contains("synthetic test pack", model.GetProperty("note").GetString(), StringComparison.Ordinal);

        // The web endpoint and gRPC ListModels give the same answer.
        var grpc = await host.Client.ListModelsAsync(new ListModelsRequest());
        Assert.Equal(grpc.Models[0].Note, model.GetProperty("note").GetString());
    }

    [Fact]
    public async Task Models_gives_no_notice_for_a_configured_real_pack()
    {
        await using var host = await LoopbackHost.StartAsync(null, "Models:DefaultModel=turbo", "Models:Packs:turbo:Path=/packs/turbo");
        var json = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/models", UriKind.Relative))).RootElement;
        var model = Assert.Single(json.GetProperty("models").EnumerateArray());
        Assert.False(model.GetProperty("synthetic").GetBoolean());
        Assert.Equal(string.Empty, model.GetProperty("note").GetString());
    }
}
