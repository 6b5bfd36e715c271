using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Streaming;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>render</c>: runs a video file, an image or a folder of images through the live stream
/// pipeline offline and writes a video or image, with a progress bar and a one-line summary; or, with
/// <c>--prompt TEXT --frames N</c> and no <c>--input</c>, renders long text-to-video (<see cref="TextToVideoRender"/>).
/// </summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model pack folder, or 'default' for the embedded synthetic pack", DefaultValueFactory = _ => "default" };
        var input = new Option<string>("--input") { Description = "Video file, image file or folder of images (omit with --frames for text-to-video)" };
        var frames = new Option<int>("--frames") { Description = "Text-to-video: frames to generate from --prompt (FIFO long video, coherent tail); needs no --input" };
        var lookahead = new Option<bool>("--lookahead") { Description = "Text-to-video: lookahead windows (twice the cost)" };
        var sampler = new Option<string>("--sampler") { Description = "Text-to-video: ddim (FIFO-Diffusion's) or lcm (LCM / turbo packs)", DefaultValueFactory = _ => "ddim" };
        var partitions = new Option<int>("--partitions") { Description = "Text-to-video: latent partitions n (queue length = window x n)", DefaultValueFactory = _ => LongVideoOptions.DefaultPartitions };
        var subjectGuidance = new Option<bool>("--subject-guidance") { Description = "Text-to-video: steer each new frame toward the remembered subject (holds the layout; off by default)" };
        var subjectGuidanceStep = new Option<double>("--subject-guidance-step") { Description = "Text-to-video: subject guidance step in (0, 1]", DefaultValueFactory = _ => SubjectMemory.DefaultStep };
        var output = new Option<string>("--output") { Description = "Output video (.mp4/.avi), image (.png/.jpg, for an image input) or folder", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt", DefaultValueFactory = _ => string.Empty };
        var negative = new Option<string>("--negative-prompt") { Description = "Negative prompt (full / initialize guidance)", DefaultValueFactory = _ => string.Empty };
        var tIndex = new Option<string>("--t-index") { Description = "Comma-separated t_index list into the 50-step LCM schedule", DefaultValueFactory = _ => "32,45" };
        var cfg = new Option<string>("--cfg") { Description = "Guidance: none, full, self, initialize", DefaultValueFactory = _ => "self" };
        cfg.AcceptOnlyFromAmong("none", "full", "self", "initialize");
        var guidance = new Option<float>("--guidance") { Description = "Guidance scale", DefaultValueFactory = _ => 1.2f };
        var delta = new Option<float>("--delta") { Description = "Residual noise scale δ", DefaultValueFactory = _ => 1.0f };
        var ssf = new Option<double?>("--ssf") { Description = "Similarity filter threshold (omit to disable)" };
        var maxSkip = new Option<int>("--max-skip") { Description = "Similarity filter: max consecutive skipped frames", DefaultValueFactory = _ => 10 };
        var frameBuffer = new Option<int>("--frame-buffer") { Description = "Frames per UNet call", DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size") { Description = "Model input size in pixels (square)", DefaultValueFactory = _ => 512 };
        var seed = new Option<long>("--seed") { Description = "Noise seed", DefaultValueFactory = _ => 2 };
        var command = new Command("render", "Run a video, image or image folder through the stream pipeline offline")
        {
            model, input, output, prompt, negative, tIndex, cfg, guidance, delta, ssf, maxSkip, frameBuffer, size, seed, frames, lookahead,
            sampler, partitions, subjectGuidance, subjectGuidanceStep,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (string.IsNullOrEmpty(parseResult.GetValue(input)))
            {
                if (parseResult.GetValue(frames) <= 0 || string.IsNullOrWhiteSpace(parseResult.GetValue(prompt)))
                {
                    AnsiConsole.MarkupLine("[red]error:[/] give --input, or --prompt TEXT --frames N for text-to-video");
                    return 2;
                }

                string modelPath;
                try
                {
                    modelPath = ModelLocator.Resolve(parseResult.GetValue(model));
                }
                catch (Exception ex) when (ex is ModelPackException or IOException)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                    return 1;
                }

                LongVideoOptions video;
                try
                {
                    var side = parseResult.GetValue(size);
                    video = new LongVideoOptions
                    {
                        Prompts = [new VideoPromptKeyframe(0, parseResult.GetValue(prompt)!)],
                        Width = side,
                        Height = side,
                        Lookahead = parseResult.GetValue(lookahead),
                        Sampler = ParseSampler(parseResult.GetValue(sampler) ?? "ddim"),
                        Partitions = parseResult.GetValue(partitions),
                        SubjectGuidance = parseResult.GetValue(subjectGuidance),
                        GuidanceStep = parseResult.GetValue(subjectGuidanceStep),
                        CoherentTail = true,
                        Seed = parseResult.GetValue(seed),
                    };
                    video.Validate();
                }
                catch (ArgumentException ex)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                    return 2;
                }

                return await TextToVideoRender.RunAsync(modelPath, video, parseResult.GetValue(frames), parseResult.GetValue(output)!, cancellationToken).ConfigureAwait(false);
            }

            ImageStreamOptions options;
            try
            {
                var threshold = parseResult.GetValue(ssf);
                options = new ImageStreamOptions
                {
                    Width = parseResult.GetValue(size),
                    Height = parseResult.GetValue(size),
                    Prompt = parseResult.GetValue(prompt) ?? string.Empty,
                    NegativePrompt = parseResult.GetValue(negative) ?? string.Empty,
                    TIndexList = ParseTIndex(parseResult.GetValue(tIndex) ?? "32,45"),
                    Cfg = Enum.Parse<CfgMode>(parseResult.GetValue(cfg) ?? "self", ignoreCase: true),
                    Guidance = parseResult.GetValue(guidance),
                    Delta = parseResult.GetValue(delta),
                    Filter = new SimilarityFilterSettings(threshold is not null, threshold ?? 0.98, parseResult.GetValue(maxSkip)),
                    FrameBuffer = parseResult.GetValue(frameBuffer),
                    Seed = parseResult.GetValue(seed),
                };
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return 2;
            }

            var inputPath = parseResult.GetValue(input)!;
            var outputPath = parseResult.GetValue(output)!;
            try
            {
                using var pack = ModelPack.Load(ModelLocator.Resolve(parseResult.GetValue(model)));
                await using var runtime = new ModelRuntime(pack, ownsPack: false);
                RenderSummary? summary = null;
                await AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask($"render {Path.GetFileName(inputPath)}");
                        summary = await OfflineRenderer.RenderAsync(
                            runtime,
                            options,
                            inputPath,
                            outputPath,
                            (written, total) =>
                            {
                                task.MaxValue = Math.Max(1, total);
                                task.Value = written;
                            },
                            cancellationToken).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                    }).ConfigureAwait(false);
                var s = summary!;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"rendered {s.FramesOut} frames ({s.FramesIn} in, {s.Skipped} skipped) to {s.OutputPath} in {s.Elapsed.TotalSeconds:0.0} s, {s.Fps:0.00} fps"));
                return 0;
            }
            catch (Exception ex) when (ex is ModelPackException or FrameFormatException or IOException or ArgumentException or InvalidOperationException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    internal static FifoSampler ParseSampler(string text) => text.Trim().ToUpperInvariant() switch
    {
        "DDIM" => FifoSampler.Ddim,
        "LCM" => FifoSampler.Lcm,
        _ => throw new ArgumentException($"--sampler: '{text}' is not a sampler; use ddim or lcm"),
    };

    internal static int[] ParseTIndex(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new ArgumentException($"t_index_list: '{part}' is not an integer", nameof(text)))
            .ToArray();
}
