using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

public sealed class EndpointCoverageTests
{
    [Fact]
    public void The_grpc_endpoint_forwards_every_rpc_of_the_service()
    {
        // grpc-dotnet binds StreamDiffusionGrpcEndpoint by method name: an RPC added to the proto without a
        // forwarding method here stops the whole service from binding at start.
        var forwarded = typeof(StreamDiffusionGrpcEndpoint).GetMethods().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var missing = Protos.V1.StreamDiffusion.Descriptor.Methods.Select(m => m.Name).Where(n => !forwarded.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "not forwarded: " + string.Join(", ", missing));
    }
}
