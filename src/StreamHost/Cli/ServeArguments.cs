using System.CommandLine;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// The <c>serve</c> verb's arguments: ASP.NET Core configuration keys (<c>--Section:Key=value</c>)
/// plus a few shorthands: <c>--model DIR</c> (serve that pack as the default model),
/// <c>--grpc URL</c>, <c>--http URL</c>, <c>--provider CPU|CUDA|TensorRT</c>.
/// </summary>
public static class ServeArguments
{
    private static readonly Dictionary<string, string> s_shorthands = new(StringComparer.Ordinal)
    {
        ["--model"] = "--Models:Packs:default:Path",
        ["--provider"] = "--Models:Packs:default:Provider",
        ["--grpc"] = "--Listen:GrpcUrl",
        ["--http"] = "--Listen:HttpUrl",
        ["--max-sessions"] = "--Limits:MaxSessions",
    };

    /// <summary>Rewrites shorthands into configuration keys; everything else passes through.</summary>
    public static string[] Translate(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>(args.Length + 2);
        var hasModel = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var (name, inlineValue) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (s_shorthands.TryGetValue(name, out var key))
            {
                hasModel |= name is "--model" or "--provider";
                var value = inlineValue ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value"));
                if (name == "--model" && !value.Equals("default", StringComparison.OrdinalIgnoreCase))
                {
                    value = Path.GetFullPath(value);
                }
                else if (name == "--model")
                {
                    value = string.Empty;
                }

                result.Add($"{key}={value}");
            }
            else
            {
                result.Add(arg);
            }
        }

        if (hasModel)
        {
            result.Add("--Models:DefaultModel=default");
        }

        return result.ToArray();
    }

    /// <summary>A <c>serve</c> entry for <c>--help</c>; the verb itself is dispatched before parsing.</summary>
    public static Command CreateHelpCommand()
    {
        var command = new Command(
            "serve",
            "Run the host (default verb): gRPC on 127.0.0.1:50051, web/metrics on 127.0.0.1:8080. " +
            "Takes --model DIR, --provider CPU|CUDA|TensorRT, --grpc URL, --http URL, --max-sessions N, " +
            "or any configuration key as --Section:Key=value (see appsettings.json).");
        command.SetAction(_ => 0);
        return command;
    }
}
