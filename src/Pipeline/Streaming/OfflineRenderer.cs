using System.Diagnostics;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// Runs a video file, an image or a folder of images through the same stream pipeline as the live
/// service, offline, and writes a video (or an image for a single image input). Output frame k
/// is aligned with input frame k: Stream Batch's (n−1)-call latency is absorbed by dropping the
/// first outputs and flushing with the last input at the end.
/// </summary>
public static class OfflineRenderer
{
    private static readonly string[] s_imageOutputExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Renders <paramref name="inputPath"/> to <paramref name="outputPath"/>.</summary>
    /// <param name="runtime">Loaded model.</param>
    /// <param name="options">Stream options (prompt, steps, guidance, filter, frame buffer, size).</param>
    /// <param name="inputPath">Video file, image file or folder of images.</param>
    /// <param name="outputPath">Video file (.mp4/.avi), image file (.png/.jpg, single-image input) or folder.</param>
    /// <param name="progress">Called after each written frame with (written, total).</param>
    /// <param name="cancellationToken">Stops the render.</param>
    public static async Task<RenderSummary> RenderAsync(
        ModelRuntime runtime,
        ImageStreamOptions options,
        string inputPath,
        string outputPath,
        Action<int, int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        var started = Stopwatch.StartNew();
        var source = new VideoFrameSource(inputPath);
        var f = options.FrameBuffer;
        var frameLength = 3 * options.Width * options.Height;
        var input = new float[f * frameLength];
        var output = new float[f * frameLength];
        var total = source.FrameCount;
        var imageOutput = source.Kind == VideoSourceKind.ImageFile && s_imageOutputExtensions.Contains(Path.GetExtension(outputPath).ToLowerInvariant());

        await using var stream = await ImageStream.CreateAsync(runtime, options, cancellationToken).ConfigureAwait(false);
        using var decoder = new FrameDecoder(new FrameDecoderOptions
        {
            Width = options.Width,
            Height = options.Height,
            Fit = options.Fit,
            MaxSourceWidth = Math.Max(options.MaxInputWidth, source.Width),
            MaxSourceHeight = Math.Max(options.MaxInputHeight, source.Height),
        });
        var writer = new OutputWriter(outputPath, imageOutput, source.Fps, options);
        try
        {
            var latency = stream.Denoiser.OutputLatency;
            var calls = 0;
            var filled = 0;
            var framesIn = 0;

            // Valid frame counts of the input blocks whose outputs are still in flight, oldest first.
            var pending = new Queue<int>();

            async Task CallAsync()
            {
                await stream.ProcessTensorsAsync(input, output, cancellationToken).ConfigureAwait(false);
                calls++;

                // Call c (1-based) emits input block c − 1 − latency once the buffer has turned over.
                if (calls > latency && pending.Count > 0)
                {
                    writer.Write(output, pending.Dequeue());
                    progress?.Invoke(writer.Written, total);
                }
            }

            foreach (var frame in source.ReadFrames())
            {
                cancellationToken.ThrowIfCancellationRequested();
                decoder.Decode(frame.Data.Span, frame.Descriptor, input.AsSpan(filled * frameLength, frameLength));
                filled++;
                framesIn++;
                if (filled == f)
                {
                    pending.Enqueue(f);
                    await CallAsync().ConfigureAwait(false);
                    filled = 0;
                }
            }

            if (filled > 0)
            {
                // Pad a partial last block with its last frame.
                for (var i = filled; i < f; i++)
                {
                    input.AsSpan((filled - 1) * frameLength, frameLength).CopyTo(input.AsSpan(i * frameLength, frameLength));
                }

                pending.Enqueue(filled);
                await CallAsync().ConfigureAwait(false);
            }

            if (pending.Count > 0)
            {
                // Flush the blocks still in flight by repeating the last input block, with the
                // filter off so the repeats are denoised rather than skipped.
                await stream.UpdateAsync(new StreamUpdate { Filter = options.Filter with { Enabled = false } }, cancellationToken).ConfigureAwait(false);
                while (pending.Count > 0)
                {
                    await CallAsync().ConfigureAwait(false);
                }
            }

            return new RenderSummary(framesIn, writer.Written, stream.SkippedFrames, started.Elapsed, writer.Path);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Writes rendered frames to a video/folder sink or, for one image, an image file.</summary>
    private sealed class OutputWriter(string path, bool imageOutput, double fps, ImageStreamOptions options) : IDisposable
    {
        private readonly int _frameLength = 3 * options.Width * options.Height;
        private VideoFrameSink? _sink;

        public int Written { get; private set; }

        public string Path => _sink?.OutputPath ?? path;

        public void Write(float[] frames, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var frame = frames.AsSpan(i * _frameLength, _frameLength);
                if (imageOutput)
                {
                    using var encoder = new FrameEncoder();
                    var format = System.IO.Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase) ? FrameFormat.Png : FrameFormat.Jpeg;
                    var encoded = encoder.Encode(frame, options.Width, options.Height, new FrameEncoding { Format = format, JpegQuality = 95 });
                    var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
                    if (!string.IsNullOrEmpty(directory))
                    {
                        Directory.CreateDirectory(directory);
                    }

                    File.WriteAllBytes(path, encoded.Data.ToArray());
                }
                else
                {
                    _sink ??= new VideoFrameSink(path, fps, options.Width, options.Height);
                    _sink.WriteTensor(frame, options.Width, options.Height);
                }

                Written++;
            }
        }

        public void Dispose() => _sink?.Dispose();
    }
}
