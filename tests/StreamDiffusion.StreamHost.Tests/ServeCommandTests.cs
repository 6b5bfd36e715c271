using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.StreamHost.Tests;

public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--Listen:GrpcUrl=ftp://127.0.0.1:0")]
    [InlineData("--Listen:HttpUrl=http://not-an-ip:0")]
    [InlineData("--Limits:MaxSessions=0")]
    [InlineData("--Models:DefaultModel=missing")]
    public async Task Bad_configuration_exits_with_1(string setting)
    {
        var code = await ServeCommand.RunAsync(
            ["--Listen:GrpcUrl=http://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0", "--Serilog:MinimumLevel:Default=Fatal",
             "--Models:Packs:turbo:Path=/x", "--Models:DefaultModel=turbo", setting],
            CancellationToken.None);
        Assert.Equal(1, code);
    }

    [Fact]
    public async Task A_cancelled_run_exits_with_0()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var code = await ServeCommand.RunAsync(
            ["--Listen:GrpcUrl=http://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0", "--Serilog:MinimumLevel:Default=Fatal"], cts.Token);
        Assert.Equal(0, code);
    }
}
