using System.Text.Json;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Security;
using StreamDiffusion.StreamHost.Tests.Security;

namespace StreamDiffusion.StreamHost.Tests.Cli;

public sealed class KeysCommandTests
{
    [Fact]
    public async Task Keys_new_prints_a_key_and_an_entry_the_host_accepts_it_with()
    {
        var (exit, output, error) = await HostProcess.RunAsync("keys", "new", "--name", "alice", "--max-sessions", "2", "--model", "default");
        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        var key = lines.Single(l => l.StartsWith("key:", StringComparison.Ordinal))["key:".Length..].Trim();
        var sha = lines.Single(l => l.StartsWith("sha256:", StringComparison.Ordinal))["sha256:".Length..].Trim();
        Assert.StartsWith(ApiKeyHash.Prefix, key, StringComparison.Ordinal);
        Assert.Equal(ApiKeyHash.Hash(key), sha);

        var json = output[output.IndexOf('{', StringComparison.Ordinal)..(output.IndexOf('}', StringComparison.Ordinal) + 1)];
        var entry = JsonDocument.Parse(json).RootElement;
        Assert.Equal("alice", entry.GetProperty("Name").GetString());
        Assert.Equal(sha, entry.GetProperty("Sha256").GetString());
        Assert.Equal(2, entry.GetProperty("MaxSessions").GetInt32());
        Assert.Equal("default", entry.GetProperty("AllowedModels")[0].GetString());

        var (hashExit, hashOutput, _) = await HostProcess.RunAsync("keys", "hash", key);
        Assert.Equal(0, hashExit);
        Assert.Equal(sha, hashOutput.Trim());

        await using var host = await LoopbackHost.StartAsync(null, "Auth:Keys:0:Name=alice", "Auth:Keys:0:Sha256=" + sha);
        var caps = await host.Client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), AuthTestKeys.ApiKey(key));
        Assert.True(caps.MaxSessions > 0);
    }

    [Fact]
    public async Task Keys_new_without_a_name_fails()
    {
        var (exit, _, _) = await HostProcess.RunAsync("keys", "new");
        Assert.NotEqual(0, exit);
    }
}
