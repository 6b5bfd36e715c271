using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.StreamHost.Options;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary><c>models list</c>: the packs the host would serve, from configuration, and the embedded default.</summary>
public static class ModelsListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "List the model packs the host is configured to serve (appsettings.json + environment)");
        command.SetAction(_ =>
        {
            var configuration = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .Build();
            var models = configuration.GetSection(ModelsOptions.SectionName).Get<ModelsOptions>() ?? new ModelsOptions();
            var table = new Table().AddColumns("name", "default", "path", "provider", "state");
            var packs = models.Packs.Count > 0
                ? models.Packs.Select(kv => (kv.Key, kv.Value.Path, kv.Value.Provider))
                : [("default", string.Empty, "CPU")];
            foreach (var (name, path, provider) in packs)
            {
                var isDefault = string.Equals(name, models.DefaultModel, StringComparison.OrdinalIgnoreCase) || models.Packs.Count == 0;
                var where = string.IsNullOrEmpty(path) ? $"(embedded synthetic) {Path.Combine(DefaultModelPack.CacheRoot, "default-" + DefaultModelPack.Version)}" : path;
                var state = string.IsNullOrEmpty(path)
                    ? (File.Exists(Path.Combine(DefaultModelPack.CacheRoot, "default-" + DefaultModelPack.Version, "synthetic.json")) ? "generated" : "generated on first start")
                    : Directory.Exists(path) ? "present" : "[red]missing[/]";
                table.AddRow(Markup.Escape(name), isDefault ? "yes" : string.Empty, Markup.Escape(where), Markup.Escape(provider), state);
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
