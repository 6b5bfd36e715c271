using System.CommandLine;
using System.Text.Json;
using StreamDiffusion.StreamHost.Security;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>keys new</c>: prints a new random API key and the configuration entry that stores its hash;
/// <c>keys hash KEY</c>: the hash of an existing key. The host keeps only hashes, so the key is shown once.
/// </summary>
public static class KeysCommand
{
    /// <summary>The <c>keys</c> verb and its subcommands.</summary>
    public static Command Create()
    {
        var keys = new Command("keys", "Create API keys and the hashes the host's configuration stores (Auth:Keys)");
        keys.Subcommands.Add(CreateNew());
        keys.Subcommands.Add(CreateHash());
        return keys;
    }

    private static Command CreateNew()
    {
        var name = new Option<string>("--name") { Description = "Who the key is for (Auth:Keys:N:Name)", Required = true };
        var maxSessions = new Option<int>("--max-sessions") { Description = "Concurrent sessions (0: the host's limit)" };
        var maxFps = new Option<double>("--max-fps") { Description = "Frames per second per stream (0: no cap)" };
        var maxWidth = new Option<int>("--max-width") { Description = "Largest width (0: the host's limit)" };
        var maxHeight = new Option<int>("--max-height") { Description = "Largest height (0: the host's limit)" };
        var models = new Option<string[]>("--model") { Description = "A model the key may use (repeat; none: all)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("new", "Print a new random API key and its configuration entry (the key is shown once: keep it)")
        {
            name, maxSessions, maxFps, maxWidth, maxHeight, models,
        };
        command.SetAction(parse =>
        {
            var entry = new ApiKeyOptions
            {
                Name = parse.GetValue(name)!,
                MaxSessions = parse.GetValue(maxSessions),
                MaxFps = parse.GetValue(maxFps),
                MaxWidth = parse.GetValue(maxWidth),
                MaxHeight = parse.GetValue(maxHeight),
            };
            if (string.IsNullOrWhiteSpace(entry.Name) || entry.MaxSessions < 0 || entry.MaxFps < 0 || entry.MaxWidth < 0 || entry.MaxHeight < 0)
            {
                Console.Error.WriteLine("keys new: --name must not be empty and the limits must not be negative");
                return 2;
            }

            foreach (var model in parse.GetValue(models) ?? [])
            {
                entry.AllowedModels.Add(model);
            }

            var key = ApiKeyHash.NewKey();
            entry.Sha256 = ApiKeyHash.Hash(key);
            Console.WriteLine("key:    " + key);
            Console.WriteLine("sha256: " + entry.Sha256);
            Console.WriteLine();
            Console.WriteLine("Add this entry to the Auth:Keys list in appsettings.json:");
            Console.WriteLine(JsonSerializer.Serialize(entry, s_indented));
            Console.WriteLine();
            Console.WriteLine("or as environment variables (N = the key's index):");
            Console.WriteLine($"Auth__Keys__N__Name={entry.Name}");
            Console.WriteLine($"Auth__Keys__N__Sha256={entry.Sha256}");
            Console.WriteLine();
            Console.WriteLine("Clients send it as 'authorization: Bearer KEY' or 'x-api-key: KEY'.");
            return 0;
        });
        return command;
    }

    private static Command CreateHash()
    {
        var key = new Argument<string>("key") { Description = "An existing key" };
        var command = new Command("hash", "Print the SHA-256 of an existing key, as Auth:Keys:N:Sha256 stores it") { key };
        command.SetAction(parse =>
        {
            Console.WriteLine(ApiKeyHash.Hash(parse.GetValue(key)!));
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };
}
