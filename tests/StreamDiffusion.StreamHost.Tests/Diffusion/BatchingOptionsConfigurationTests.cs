using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.StreamHost.Diffusion;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Tests.Diffusion;

/// <summary>A pack's engine options from configuration: provider defaults, each key read, bad values named in the error.</summary>
public sealed class BatchingOptionsConfigurationTests
{
    [Fact]
    public void Defaults_follow_the_provider_and_run_a_lone_clients_calls_inline()
    {
        var cpu = ModelRuntimeRegistry.ToBatchingOptions(Model([]), ExecutionProvider.Cpu);
        var cuda = ModelRuntimeRegistry.ToBatchingOptions(Model([]), ExecutionProvider.Cuda);

        Assert.Equal(BatchingOptions.DefaultCpuWorkers, cpu.Workers);
        Assert.Equal(1, cuda.Workers);
        Assert.True(cpu.RunAloneInline);
        Assert.True(cuda.RunAloneInline);
    }

    [Fact]
    public void Every_engine_key_is_read_case_insensitively()
    {
        var options = ModelRuntimeRegistry.ToBatchingOptions(
            Model(new() { ["workers"] = "2", ["MaxBatch"] = "3", ["MAXWORKERRESTARTS"] = "5", ["RunAloneInline"] = "false" }),
            ExecutionProvider.Cpu);

        Assert.Equal(2, options.Workers);
        Assert.Equal(3, options.MaxBatch);
        Assert.Equal(5, options.MaxWorkerRestarts);
        Assert.False(options.RunAloneInline);
    }

    [Theory]
    [InlineData("RunAloneInline", "sometimes")]
    [InlineData("Workers", "0")]
    [InlineData("Workers", "four")]
    public void A_bad_value_names_the_key(string key, string value)
    {
        var error = Assert.Throws<ModelPackException>(() => ModelRuntimeRegistry.ToBatchingOptions(Model(new() { [key] = value }), ExecutionProvider.Cpu));

        Assert.Contains($"Models:Packs:test:Options:{key}", error.Message, StringComparison.Ordinal);
    }

    private static ModelDescriptor Model(Dictionary<string, string> options) =>
        new("test", string.Empty, "cpu", 512, IsDefault: true) { Options = options };
}
