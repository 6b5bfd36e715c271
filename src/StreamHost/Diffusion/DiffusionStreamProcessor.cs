using Grpc.Core;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Streaming;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;
using ProtoFrameFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.StreamHost.Diffusion;

/// <summary>
/// A session's frame processor on the real pipeline: maps validated session settings to an
/// <see cref="ImageStream"/>, frames to its decoder, and bad frames to <see cref="FrameRejectedException"/>
/// so they fail alone while the stream goes on.
/// </summary>
public sealed class DiffusionStreamProcessor : IStreamProcessor
{
    private readonly ImageStream _stream;

    private DiffusionStreamProcessor(ImageStream stream)
    {
        _stream = stream;
    }

    public static async Task<DiffusionStreamProcessor> CreateAsync(ModelRuntime runtime, SessionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        try
        {
            var stream = await ImageStream.CreateAsync(runtime, ToOptions(settings, runtime.Pack.ImageSize), cancellationToken).ConfigureAwait(false);
            return new DiffusionStreamProcessor(stream);
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "config." + ex.Message));
        }
    }

    /// <inheritdoc />
    public async ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken)
    {
        var next = ToOptions(settings, _stream.Options.Width, _stream.Options.Height);
        try
        {
            await _stream.UpdateAsync(
                new StreamUpdate
                {
                    Prompt = next.Prompts is null ? next.Prompt : null,
                    Prompts = next.Prompts,
                    NegativePrompt = next.NegativePrompt,
                    TIndexList = next.TIndexList,
                    Cfg = next.Cfg,
                    Guidance = next.Guidance,
                    Delta = next.Delta,
                    Seed = next.Seed,
                    Filter = next.Filter,
                    Output = next.Output,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "control." + ex.Message));
        }
    }

    /// <inheritdoc />
    public async ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
    {
        StreamFrameResult result;
        try
        {
            result = _stream.Options.Mode == StreamMode.Txt2Img
                ? await _stream.GenerateFrameAsync(cancellationToken).ConfigureAwait(false)
                : await _stream.ProcessFrameAsync(input.Data, ToDescriptor(input), cancellationToken).ConfigureAwait(false);
        }
        catch (FrameFormatException ex)
        {
            throw new FrameRejectedException(ex.Message, ex);
        }

        var output = result.Output;
        var t = result.Timings;
        return new ProcessedFrame(
            output.Data,
            output.Descriptor.Format switch
            {
                Pipeline.Imaging.FrameFormat.Jpeg => ProtoFrameFormat.Jpeg,
                Pipeline.Imaging.FrameFormat.Png => ProtoFrameFormat.Png,
                Pipeline.Imaging.FrameFormat.Bgr24 => ProtoFrameFormat.Bgr24,
                _ => ProtoFrameFormat.Rgb24,
            },
            output.Descriptor.Width,
            output.Descriptor.Height,
            result.Skipped,
            t.DecodeMs + t.FilterMs,
            t.LatentEncodeMs + t.DenoiseMs + t.LatentDecodeMs,
            t.EncodeMs);
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    internal static ImageStreamOptions ToOptions(SessionSettings settings, int defaultWidth, int? defaultHeight = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ImageStreamOptions
        {
            Width = settings.Width > 0 ? settings.Width : defaultWidth,
            Height = settings.Height > 0 ? settings.Height : defaultHeight ?? defaultWidth,
            Mode = settings.Mode == GenerationMode.Txt2Img ? StreamMode.Txt2Img : StreamMode.Img2Img,
            Prompt = settings.Prompt,
            Prompts = settings.Prompts.Count > 0 ? settings.Prompts.Select(p => new Pipeline.Streaming.WeightedPrompt(p.Text, p.Weight)).ToArray() : null,
            NegativePrompt = settings.NegativePrompt,
            TIndexList = settings.TIndexList,
            Cfg = settings.CfgType switch
            {
                CfgType.None => CfgMode.None,
                CfgType.Full => CfgMode.Full,
                CfgType.Initialize => CfgMode.Initialize,
                _ => CfgMode.Self,
            },
            Guidance = settings.GuidanceScale,
            Delta = settings.Delta,
            Seed = settings.Seed,
            Filter = new Pipeline.Streaming.SimilarityFilterSettings(settings.Filter.Enabled, settings.Filter.Threshold, settings.Filter.MaxSkipFrames),
            Output = new FrameEncoding
            {
                Format = settings.OutputEncoding switch
                {
                    OutputEncoding.Png => Pipeline.Imaging.FrameFormat.Png,
                    OutputEncoding.Raw => Pipeline.Imaging.FrameFormat.Rgb24,
                    _ => Pipeline.Imaging.FrameFormat.Jpeg,
                },
                JpegQuality = settings.Quality,
            },
        };
    }

    private static FrameDescriptor ToDescriptor(FrameInput input) => input.Format switch
    {
        ProtoFrameFormat.Jpeg => FrameDescriptor.Jpeg,
        ProtoFrameFormat.Png => FrameDescriptor.Png,
        ProtoFrameFormat.Rgb24 => FrameDescriptor.Rgb24(input.Width, input.Height, input.Stride),
        ProtoFrameFormat.Bgr24 => FrameDescriptor.Bgr24(input.Width, input.Height, input.Stride),
        _ => throw new FrameRejectedException($"frame.format {input.Format} is not supported (JPEG, PNG, RGB24, BGR24)"),
    };
}
