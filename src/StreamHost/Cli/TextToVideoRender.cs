using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.LongVideo;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary>
/// <c>render --prompt TEXT --frames N --output out.mp4</c> (no <c>--input</c>): long text-to-video offline with
/// the FIFO queue and coherent tail, written frame by frame as the head emits them, with a progress bar.
/// </summary>
internal static class TextToVideoRender
{
    /// <param name="modelPath">The pack folder.</param>
    /// <param name="options">Validated generation settings (prompt, size, sampler, partitions, tail, guidance).</param>
    /// <param name="frames">Frames to write.</param>
    /// <param name="outputPath">The video file.</param>
    /// <param name="cancellationToken">Stops the render (the frames written so far stay in the file).</param>
    public static async Task<int> RunAsync(string modelPath, LongVideoOptions options, int frames, string outputPath, CancellationToken cancellationToken)
    {
        var size = options.Width;
        try
        {
            if (frames < 1)
            {
                throw new ArgumentException($"--frames: {frames} must be at least 1");
            }

            using var pack = ModelPack.Load(modelPath);
            await using var runtime = new ModelRuntime(pack, ownsPack: false);
            var started = Stopwatch.GetTimestamp();
            TimeSpan? ttff = null;
            using var sink = new VideoFrameSink(outputPath, 24, size, size);
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"text-to-video {frames} frames", maxValue: frames);
                    await using var generator = await LongVideoGenerator.CreateAsync(runtime, options, cancellationToken).ConfigureAwait(false);
                    var image = new float[generator.ImageLength];
                    for (int k = 0; k < frames; k++)
                    {
                        await generator.NextFrameAsync(image, default, cancellationToken).ConfigureAwait(false);
                        sink.WriteTensor(image, size, size);
                        task.Value = k + 1;
                    }

                    ttff = generator.TimeToFirstFrame;
                }).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"rendered {sink.FramesWritten} frames to {sink.OutputPath} in {elapsed:0.0} s, {sink.FramesWritten / elapsed:0.00} fps, first frame after {ttff?.TotalMilliseconds ?? 0:0} ms"));
            return 0;
        }
        catch (Exception ex) when (ex is ModelPackException or IOException or ArgumentException or InvalidOperationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
    }
}
