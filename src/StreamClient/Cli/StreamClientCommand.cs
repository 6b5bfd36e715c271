using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using OpenCvSharp;
using Spectre.Console;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.StreamClient.Connection;
using StreamDiffusion.StreamClient.Output;
using StreamDiffusion.StreamClient.Reporting;
using StreamDiffusion.StreamClient.Sessions;
using StreamDiffusion.StreamClient.Sources;

namespace StreamDiffusion.StreamClient.Cli;

/// <summary>
/// <c>streamclient --server URL --input FILE|DIR|webcam[:N] [--output FILE] [--prompt TEXT] [--fps N] [--size 512]
/// [--format jpeg|raw] [--quality 85] [--model NAME] [--frames N] [--show]</c>: streams a source to the host's
/// <c>Stream</c> call and writes what comes back.
/// </summary>
public static class StreamClientCommand
{
    /// <summary>Largest message the client accepts: a raw 2048x2048 frame with room to spare.</summary>
    public const int MaxReceiveMessageBytes = 64 * 1024 * 1024;

    /// <summary>Parses <paramref name="args"/> and runs the client.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="console">Output, error and prompt input.</param>
    /// <param name="stopToken">Stops the stream gracefully (the last responses are still collected).</param>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    public static Task<int> RunAsync(string[] args, ClientConsole console, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        var root = Create(console, stopToken);
        var configuration = new InvocationConfiguration
        {
            // Help goes straight to the console's writer: System.CommandLine wraps it already.
            Output = console.Out.Profile.Out.Writer,
            Error = console.Error,

            // Ctrl+C is handled by the caller (stopToken), so a stream can drain instead of being killed.
            ProcessTerminationTimeout = null,
        };
        return root.Parse(args).InvokeAsync(configuration, CancellationToken.None);
    }

    /// <summary>Builds the root command.</summary>
    public static RootCommand Create(ClientConsole console, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        var server = new Option<string>("--server")
        {
            Description = "gRPC address of the host, e.g. http://127.0.0.1:50051 (host:port means http://host:port); several replicas comma-separated: a full or draining one is skipped.",
            Required = true,
        };
        server.Validators.Add(r => Validate(r, () => ParseServers(r.GetValueOrDefault<string>() ?? string.Empty)));
        var input = new Option<string>("--input")
        {
            Description = "A video file, a folder of images, an image (sent --frames times) or webcam[:N].",
            Required = true,
        };
        input.Validators.Add(r => Validate(r, () => InputSpec.Parse(r.GetValueOrDefault<string>() ?? string.Empty)));
        var output = new Option<string?>("--output")
        {
            Description = "Video file (.mp4, .avi) or folder (numbered PNGs) for the returned frames.",
        };
        var prompt = new Option<string>("--prompt")
        {
            Description = "Initial prompt. While running, each line typed on stdin becomes the new prompt.",
            DefaultValueFactory = _ => string.Empty,
        };
        var fps = new Option<double?>("--fps")
        {
            Description = "Send rate; default the source's rate; 0 = as fast as the server accepts.",
        };
        fps.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } v && (!double.IsFinite(v) || v < 0))
            {
                r.AddError("--fps must be 0 or a positive number.");
            }
        });
        var size = new Option<int>("--size")
        {
            Description = "Session width and height in pixels (multiple of 8); frames are center-cropped to it.",
            DefaultValueFactory = _ => 512,
        };
        size.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<int>();
            if (v < 8 || v % 8 != 0)
            {
                r.AddError($"--size must be a positive multiple of 8, got {v}.");
            }
        });
        var format = new Option<WireFormat>("--format")
        {
            Description = "Frame format both ways: jpeg or raw (RGB24).",
            DefaultValueFactory = _ => WireFormat.Jpeg,
        };
        var quality = new Option<int>("--quality")
        {
            Description = "JPEG quality 1..100 for sent and returned frames.",
            DefaultValueFactory = _ => 85,
        };
        quality.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100)
            {
                r.AddError("--quality must be between 1 and 100.");
            }
        });
        var model = new Option<string>("--model")
        {
            Description = "Model pack name (default: the host's default model).",
            DefaultValueFactory = _ => string.Empty,
        };
        var frames = new Option<int?>("--frames")
        {
            Description = "Frames to send: a limit for video, folders and webcams; the repeat count of a single image (default 1).",
        };
        frames.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is <= 0)
            {
                r.AddError("--frames must be positive.");
            }
        });
        var show = new Option<bool>("--show")
        {
            Description = "Show the returned frames in a window (q or Esc stops).",
        };
        var maxInFlight = new Option<int>("--max-in-flight")
        {
            Description = "With --fps 0: most frames sent and not yet answered.",
            DefaultValueFactory = _ => StreamClientOptions.DefaultMaxInFlight,
        };
        maxInFlight.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--max-in-flight must be at least 1.");
            }
        });

        var root = new RootCommand("Streams a video file, image folder, image or webcam through a StreamDiffusion.Net host and writes the result.")
        {
            server, input, output, prompt, fps, size, format, quality, model, frames, show, maxInFlight,
        };
        root.Subcommands.Add(VideoCommand.Create(console, stopToken));
        root.SetAction((parse, _) =>
        {
            var options = new StreamClientOptions
            {
                Server = ParseServers(parse.GetValue(server)!)[0],
                Replicas = ParseServers(parse.GetValue(server)!) is { Count: > 1 } replicas ? replicas : [],
                Input = InputSpec.Parse(parse.GetValue(input)!),
                Output = parse.GetValue(output),
                Prompt = parse.GetValue(prompt) ?? string.Empty,
                Fps = parse.GetValue(fps),
                Size = parse.GetValue(size),
                Format = parse.GetValue(format),
                Quality = parse.GetValue(quality),
                Model = parse.GetValue(model) ?? string.Empty,
                Frames = parse.GetValue(frames),
                Show = parse.GetValue(show),
                MaxInFlight = parse.GetValue(maxInFlight),
            };
            return ExecuteAsync(options, console, stopToken);
        });
        return root;
    }

    /// <summary>Parses <c>--server</c>: an http(s) URL, or host:port for plain http.</summary>
    /// <exception cref="FormatException">Not a usable address.</exception>
    public static Uri ParseServer(string value)
    {
        var text = value.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"--server '{value}' is not an http:// or https:// address like http://127.0.0.1:50051.");
        }

        return uri;
    }

    /// <summary>Parses <c>--server</c>: one address (<see cref="ParseServer"/>), or several comma-separated plain http ones.</summary>
    /// <exception cref="FormatException">Not a usable address list.</exception>
    public static IReadOnlyList<Uri> ParseServers(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Contains(',', StringComparison.Ordinal) ? FailoverChannel.ParseAddresses(value) : [ParseServer(value)];
    }

    /// <summary>
    /// The channel: over several replicas a <see cref="FailoverChannel"/>; to one address a plain channel with the
    /// same retry policy, so a full or draining host (or the replica a load balancer picked) is retried with backoff.
    /// </summary>
    public static GrpcChannel CreateChannel(StreamClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CreateChannel(options.Replicas.Count > 1 ? options.Replicas : [options.Server]);
    }

    /// <summary>As <see cref="CreateChannel(StreamClientOptions)"/> for a parsed <c>--server</c> list (one or several addresses).</summary>
    public static GrpcChannel CreateChannel(IReadOnlyList<Uri> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentOutOfRangeException.ThrowIfZero(servers.Count);
        if (servers.Count > 1)
        {
            return FailoverChannel.Create(servers, MaxReceiveMessageBytes);
        }

        return GrpcChannel.ForAddress(servers[0], new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MaxReceiveMessageBytes,
            MaxSendMessageSize = null,
            ServiceConfig = new ServiceConfig { MethodConfigs = { new MethodConfig { Names = { MethodName.Default }, RetryPolicy = FailoverChannel.RetryPolicy } } },
        });
    }

    /// <summary>Runs the client with parsed options.</summary>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    public static async Task<int> ExecuteAsync(StreamClientOptions options, ClientConsole console, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        IFrameSource source;
        try
        {
            source = FrameSourceFactory.Create(options);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or OpenCVException)
        {
            return Fail(console, ExitCodes.InvalidInput, $"cannot open input {options.Input}: {ex.Message}");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
        VideoFileSink? file = options.Output is null ? null : new VideoFileSink(options.Output);
        using var sink = BuildSink(file, options.Show ? new PreviewWindow("streamclient", stop.Cancel) : null);
        using (source)
        {
            using var channel = CreateChannel(options);
            var session = new StreamSession(channel, source, sink, options);
            var count = source.FrameCount is { } n ? n.ToString(CultureInfo.InvariantCulture) : "unbounded";
            var rate = session.SendFps > 0 ? session.SendFps.ToString("0.##", CultureInfo.InvariantCulture) + " fps" : "the server's pace";
            console.Out.WriteLine($"streaming {source.Description} ({source.Width.ToString(CultureInfo.InvariantCulture)}x{source.Height.ToString(CultureInfo.InvariantCulture)}, {count} frames) to {(options.Replicas.Count > 1 ? string.Join(", ", options.Replicas) : options.Server)} at {rate}");
            if (console.PromptInput is { } prompts)
            {
                // Not awaited: a console read cannot always be cancelled, and the process ends anyway.
                _ = Task.Run(() => PromptReader.RunAsync(prompts, session.ChangePrompt, stop.Token), CancellationToken.None);
            }

            var running = session.RunAsync(stop.Token);
            await new ProgressReporter(console.Out, console.LiveProgress).RunAsync(session, running).ConfigureAwait(false);
            StreamSummary summary;
            try
            {
                summary = await running.ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                return Fail(console, ExitCodes.ServerError, DescribeStatus(options.Server, ex.Status));
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or OpenCVException or FrameFormatException)
            {
                return Fail(console, ExitCodes.InvalidInput, ex.Message);
            }
            finally
            {
                // Finalises the video container before the summary names it.
                sink?.Dispose();
                await stop.CancelAsync().ConfigureAwait(false);
            }

            var where = file is null ? null : $"{file.OutputPath}{(file.Codec is { } codec ? $" [{codec}]" : string.Empty)}";
            foreach (var line in SummaryFormatter.Format(summary, where))
            {
                console.Out.WriteLine(line);
            }

            return ExitCodes.Ok;
        }
    }

    /// <summary>One line for a failed call: the status code (name and number), its message and, for connection failures, the cause.</summary>
    public static string DescribeStatus(Uri server, Grpc.Core.Status status)
    {
        ArgumentNullException.ThrowIfNull(server);
        var detail = string.IsNullOrWhiteSpace(status.Detail) ? "(no message)" : status.Detail;
        var cause = status.DebugException is { } ex && !detail.Contains(ex.Message, StringComparison.Ordinal) ? $" ({ex.Message})" : string.Empty;
        return OneLine($"server {server} returned {status.StatusCode} ({(int)status.StatusCode}): {detail}{cause}");
    }

    private static IFrameSink? BuildSink(IFrameSink? file, IFrameSink? window) => (file, window) switch
    {
        (null, null) => null,
        (not null, null) => file,
        (null, not null) => window,
        _ => new CompositeSink(file!, window!),
    };

    private static int Fail(ClientConsole console, int code, string message)
    {
        console.Error.WriteLine("streamclient: error: " + OneLine(message));
        return code;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static void Validate(OptionResult result, Action parse)
    {
        try
        {
            parse();
        }
        catch (FormatException ex)
        {
            result.AddError(ex.Message);
        }
    }
}
