using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using OpenCvSharp;
using Spectre.Console;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamClient.Output;
using StreamDiffusion.StreamClient.Reporting;
using StreamDiffusion.StreamClient.Sessions;

namespace StreamDiffusion.StreamClient.Cli;

/// <summary>
/// <c>streamclient video --server URL --prompt TEXT --output out.mp4 [--frames 64] [--size 0] [--fps 8]
/// [--partitions 4] [--lookahead] [--coherent-tail] [--guidance [--guidance-step S]] [--sampler ddim|lcm]
/// [--seed N] [--model NAME] [--quality 85]</c>: text-to-video of any length through the host's
/// <c>GenerateVideo</c>, written to a video file (or a PNG folder) with a progress line; each line typed on
/// stdin while it runs becomes the new prompt (<c>ControlVideo</c>). <c>--frames 0</c> runs until Ctrl+C.
/// </summary>
public static class VideoCommand
{
    /// <summary>Builds the <c>video</c> subcommand.</summary>
    public static Command Create(ClientConsole console, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        var server = new Option<string>("--server")
        {
            Description = "gRPC address of the host (several comma-separated: a full or draining one is skipped).",
            Required = true,
        };
        server.Validators.Add(r =>
        {
            try
            {
                StreamClientCommand.ParseServers(r.GetValueOrDefault<string>() ?? string.Empty);
            }
            catch (FormatException ex)
            {
                r.AddError(ex.Message);
            }
        });
        var prompt = new Option<string>("--prompt") { Description = "The prompt (stdin lines change it while the video runs).", Required = true };
        prompt.Validators.Add(r =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()))
            {
                r.AddError("--prompt must not be empty.");
            }
        });
        var output = new Option<string>("--output") { Description = "Video file (.mp4, .avi) or folder (numbered PNGs).", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames to generate; 0 runs until Ctrl+C.", DefaultValueFactory = _ => 64 };
        frames.Validators.Add(r => Positive(r, "--frames", allowZero: true));
        var size = new Option<int>("--size") { Description = "Width and height (multiple of 8); 0: the model's size.", DefaultValueFactory = _ => 0 };
        size.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is var v && (v < 0 || v % 8 != 0))
            {
                r.AddError($"--size must be 0 or a positive multiple of 8, got {v}.");
            }
        });
        var fps = new Option<double>("--fps") { Description = "Frame rate of the written video.", DefaultValueFactory = _ => 8 };
        fps.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is var v && (!double.IsFinite(v) || v <= 0))
            {
                r.AddError("--fps must be a positive number.");
            }
        });
        var partitions = new Option<int>("--partitions") { Description = "FIFO partitions n (queue length 8·n); 0: the host default.", DefaultValueFactory = _ => 0 };
        partitions.Validators.Add(r => Positive(r, "--partitions", allowZero: true));
        var lookahead = new Option<bool>("--lookahead") { Description = "Half-overlapping lookahead windows (twice the cost)." };
        var coherentTail = new Option<bool>("--coherent-tail") { Description = "Ouroboros-style coherent tail sampling." };
        var guidance = new Option<bool>("--guidance") { Description = "Subject memory and self-recurrent guidance." };
        var guidanceStep = new Option<float?>("--guidance-step") { Description = "Guidance step in (0, 1] (with --guidance)." };
        var sampler = new Option<VideoSamplerName>("--sampler") { Description = "Per-slot step rule: ddim, or lcm for LCM/turbo packs.", DefaultValueFactory = _ => VideoSamplerName.Ddim };
        var seed = new Option<long?>("--seed") { Description = "Noise seed (default: the host's)." };
        var model = new Option<string>("--model") { Description = "Model pack name (default: the host's default model).", DefaultValueFactory = _ => string.Empty };
        var quality = new Option<int>("--quality") { Description = "JPEG quality 1..100 of the frames on the wire.", DefaultValueFactory = _ => 85 };
        quality.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100)
            {
                r.AddError("--quality must be between 1 and 100.");
            }
        });

        var command = new Command("video", "Generate a text-to-video of any length on the host (GenerateVideo) and write it to a file.")
        {
            server, prompt, output, frames, size, fps, partitions, lookahead, coherentTail, guidance, guidanceStep, sampler, seed, model, quality,
        };
        command.SetAction((parse, _) =>
        {
            var servers = StreamClientCommand.ParseServers(parse.GetValue(server)!);
            var request = new GenerateVideoRequest
            {
                Model = parse.GetValue(model) ?? string.Empty,
                Width = parse.GetValue(size),
                Height = parse.GetValue(size),
                NumFrames = (ulong)parse.GetValue(frames),
                Lookahead = parse.GetValue(lookahead),
                CoherentTail = parse.GetValue(coherentTail),
                SubjectGuidance = parse.GetValue(guidance),
                Sampler = parse.GetValue(sampler) == VideoSamplerName.Lcm ? VideoSampler.Lcm : VideoSampler.Ddim,
                OutputEncoding = OutputEncoding.Jpeg,
                Quality = parse.GetValue(quality),
            };
            request.Prompts.Add(new PromptKeyframe { StartFrame = 0, Text = parse.GetValue(prompt)!.Trim() });
            if (parse.GetValue(guidanceStep) is { } step)
            {
                request.SubjectGuidanceStep = step;
            }

            // 0 asks for the host's default: the field is left unset (an explicit 0 is refused).
            if (parse.GetValue(partitions) is var n and > 0)
            {
                request.NumPartitions = n;
            }

            if (parse.GetValue(seed) is { } s)
            {
                request.Seed = s;
            }

            return ExecuteAsync(servers, parse.GetValue(output)!, request, parse.GetValue(fps), console, stopToken);
        });
        return command;
    }

    /// <summary>Runs one GenerateVideo call and writes the file.</summary>
    /// <returns>An <see cref="ExitCodes"/> value.</returns>
    public static async Task<int> ExecuteAsync(IReadOnlyList<Uri> servers, string output, GenerateVideoRequest request, double fps, ClientConsole console, CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(console);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
        var file = new VideoFileSink(output);
        using var channel = StreamClientCommand.CreateChannel(servers);
        var generation = new VideoGeneration(channel, request, file, fps);
        var total = request.NumFrames == 0 ? "until Ctrl+C" : request.NumFrames.ToString(CultureInfo.InvariantCulture) + " frames";
        console.Out.WriteLine($"generating \"{request.Prompts[0].Text}\" ({total}) on {string.Join(", ", servers)}");
        if (console.PromptInput is { } prompts)
        {
            // Not awaited: a console read cannot always be cancelled, and the process ends anyway.
            _ = Task.Run(() => PromptReader.RunAsync(prompts, text => _ = ChangeAsync(generation, text, console), stop.Token), CancellationToken.None);
        }

        var running = generation.RunAsync(stop.Token);
        await new ProgressReporter(console.Out, console.LiveProgress).RunAsync(() => ProgressLine(generation, request.NumFrames), running).ConfigureAwait(false);
        VideoSummary summary;
        try
        {
            summary = await running.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            return Fail(console, ExitCodes.ServerError, StreamClientCommand.DescribeStatus(servers[0], ex.Status));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or OpenCVException)
        {
            return Fail(console, ExitCodes.InvalidInput, ex.Message);
        }
        finally
        {
            // Finalises the container before the summary names it.
            file.Dispose();
            await stop.CancelAsync().ConfigureAwait(false);
        }

        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"video: {summary.Frames} frames {summary.Width}x{summary.Height} in {summary.Seconds:0.0} s ({summary.FramesPerSecond:0.0} fps), session {summary.SessionId ?? "-"}, prompt changes {summary.PromptChanges}"));
        console.Out.WriteLine($"output: {file.OutputPath}{(file.Codec is { } codec ? $" [{codec}]" : string.Empty)}");
        return ExitCodes.Ok;
    }

    /// <summary>The progress line: frames so far (of the total), rate, and the prompt now at the head.</summary>
    public static string? ProgressLine(VideoGeneration generation, ulong total)
    {
        ArgumentNullException.ThrowIfNull(generation);
        if (generation.SessionId is null)
        {
            return null;
        }

        var received = generation.Received;
        var seconds = generation.Elapsed;
        var of = total == 0 ? string.Empty : "/" + total.ToString(CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"frames {received}{of}  {(seconds > 0 ? received / seconds : 0):0.0} fps  prompt \"{generation.Prompt}\"");
    }

    private static async Task ChangeAsync(VideoGeneration generation, string text, ClientConsole console)
    {
        var (accepted, message) = await generation.ChangePromptAsync(text).ConfigureAwait(false);
        console.Out.WriteLine(accepted ? $"prompt \"{text}\": {message}" : $"prompt \"{text}\" not applied: {message}");
    }

    private static void Positive(System.CommandLine.Parsing.OptionResult result, string name, bool allowZero)
    {
        if (result.GetValueOrDefault<int>() is var v && (v < 0 || (v == 0 && !allowZero)))
        {
            result.AddError($"{name} must be {(allowZero ? "0 or " : string.Empty)}positive, got {v}.");
        }
    }

    private static int Fail(ClientConsole console, int code, string message)
    {
        console.Error.WriteLine("streamclient: error: " + message.ReplaceLineEndings(" ").Trim());
        return code;
    }
}
