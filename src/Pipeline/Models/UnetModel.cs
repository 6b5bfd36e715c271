using Microsoft.ML.OnnxRuntime.Tensors;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// The denoiser: <c>sample [B,4,h,w]</c> (or a video clip <c>[B,4,F,h,w]</c>), <c>timestep</c>
/// (scalar, [B] or [B,F]; float32, float16, int64 or int32), <c>encoder_hidden_states [B,77,D]</c>,
/// optional <c>timestep_cond</c> (LCM-distilled) → <c>out_sample</c>. It adapts to whichever
/// variant the graph declares; a graph with a scalar timestep is called once per run of equal
/// timesteps, since one call can only carry one.
/// </summary>
public sealed class UnetModel : OnnxModel, INoisePredictor
{
    private readonly OnnxTensorInfo _sample;
    private readonly OnnxTensorInfo _timestep;
    private readonly OnnxTensorInfo _hidden;
    private readonly OnnxTensorInfo? _timestepCond;
    private readonly OnnxTensorInfo _output;
    private readonly string[] _outputNames;
    private readonly float[]? _timestepCondRow;
    private readonly string? _timestepCondText;

    private UnetModel(string filePath, Microsoft.ML.OnnxRuntime.InferenceSession session, ExecutionProvider provider, ModelPackOptions options)
        : base(filePath, session, provider)
    {
        var floats = new[] { TensorElementType.Float, TensorElementType.Float16 };
        _sample = Require(FindInput("sample"), "input 'sample'", "[batch,4,height,width] or [batch,4,frames,height,width] float32/float16", [4, 5], floats, null, 4);
        IsVideo = _sample.Rank == 5;
        _timestep = Require(
            FindInput("timestep", "timesteps", "t"),
            "input 'timestep'",
            IsVideo ? "[batch,frames]" : "scalar or [batch]",
            IsVideo ? [2] : [0, 1],
            [TensorElementType.Float, TensorElementType.Float16, TensorElementType.Int64, TensorElementType.Int32]);
        _hidden = Require(FindInput("encoder_hidden_states"), "input 'encoder_hidden_states'", "[batch,77,hidden] float32/float16", [3], floats, null, TextEncoderModel.SequenceLength);
        HiddenSize = _hidden.StaticDimension(2)
            ?? throw new ModelPackException($"{filePath}: tensor '{_hidden.Name}' has a symbolic hidden size {_hidden.ShapeText}; expected 768 or 1024");
        if (FindInput("text_embeds", "time_ids") is { } sdxl)
        {
            throw new ModelPackException($"{filePath}: input '{sdxl.Name}' marks an SDXL UNet; SDXL packs are not supported yet (expected an SD1.x/SD2.x UNet without added conditions)");
        }

        _timestepCond = FindInput("timestep_cond");
        if (_timestepCond is not null)
        {
            Require(_timestepCond, "input 'timestep_cond'", "[batch,dim] float32/float16", [2], floats, null, null);
            var dim = _timestepCond.StaticDimension(1)
                ?? throw new ModelPackException($"{filePath}: tensor 'timestep_cond' has a symbolic width {_timestepCond.ShapeText}; expected a fixed embedding size such as 256");
            _timestepCondRow = options.TimestepCondGuidance is { } guidance ? GuidanceEmbedding.Create(guidance - 1f, dim) : new float[dim];
            _timestepCondText = TimestepCond.Describe(options.TimestepCondGuidance);
        }

        var unknown = Inputs.FirstOrDefault(i => i != _sample && i != _timestep && i != _hidden && i != _timestepCond);
        if (unknown is not null)
        {
            throw new ModelPackException($"{filePath}: unexpected input '{unknown.Name}' {unknown.ElementTypeText} {unknown.ShapeText}; a UNet takes sample, timestep, encoder_hidden_states and optionally timestep_cond");
        }

        _output = Require(FindOutput("out_sample") ?? Outputs.FirstOrDefault(), "output 'out_sample'", $"same shape as '{_sample.Name}'", [_sample.Rank], floats, null, 4);
        _outputNames = [_output.Name];
        LatentHeight = _sample.StaticDimension(_sample.Rank - 2);
        LatentWidth = _sample.StaticDimension(_sample.Rank - 1);
    }

    /// <inheritdoc />
    public int HiddenSize { get; }

    /// <summary>True for a video denoiser taking [B,4,F,h,w] clips with per-frame timesteps.</summary>
    public bool IsVideo { get; }

    /// <summary>True when the graph takes one scalar timestep for the whole batch.</summary>
    public bool HasScalarTimestep => _timestep.Rank == 0;

    /// <summary>True for LCM-distilled UNets that take a guidance embedding.</summary>
    public bool HasTimestepCond => _timestepCond is not null;

    /// <summary>Static latent height when the graph fixes it, else null.</summary>
    public int? LatentHeight { get; }

    /// <summary>Static latent width when the graph fixes it, else null.</summary>
    public int? LatentWidth { get; }

    /// <summary>Element type of the sample input (float32 or float16).</summary>
    public TensorElementType SampleType => _sample.ElementType;

    /// <summary>Element type of the timestep input.</summary>
    public TensorElementType TimestepType => _timestep.ElementType;

    /// <inheritdoc />
    public override string Summary =>
        $"{(IsVideo ? "video denoiser" : "unet")}: sample {_sample.ElementTypeText} {_sample.ShapeText}, timestep {_timestep.ElementTypeText} " +
        $"{(_timestep.Rank == 0 ? "scalar" : _timestep.ShapeText)}, hidden size {HiddenSize}" + (HasTimestepCond ? $", timestep_cond (LCM guidance embedding, fed {_timestepCondText})" : string.Empty);

    /// <summary>Loads and validates <c>unet/model.onnx</c>.</summary>
    /// <param name="filePath">The ONNX file.</param>
    /// <param name="provider">Resolved execution provider.</param>
    /// <param name="options">Load options.</param>
    /// <param name="hiddenSize">Text embedding width from the text encoder, used for TensorRT's static profile.</param>
    public static UnetModel Load(string filePath, ExecutionProvider provider, ModelPackOptions options, int hiddenSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? profile = null;
        if (provider == ExecutionProvider.TensorRT)
        {
            var trt = options.TensorRT;
            var latent = trt.ImageSize / 8;
            profile = $"sample:{trt.MaxBatch}x4x{latent}x{latent},timestep:{trt.MaxBatch},encoder_hidden_states:{trt.MaxBatch}x77x{hiddenSize}";
        }

        var session = Open(filePath, provider, options, profile);
        try
        {
            return new UnetModel(filePath, session, provider, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        PredictNoise(latents.Span, timesteps.Span, textEmbeddings.Span, noise.Span, shape);
        return ValueTask.CompletedTask;
    }

    /// <summary>Image UNet: ε for [B,C,h,w] latents with one timestep and one [77,D] embedding per item; a video denoiser takes [B,C,F,h,w] clips (shape.Frames = F) with F timesteps per item.</summary>
    public void PredictNoise(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<float> textEmbeddings, Span<float> noise, LatentShape shape)
    {
        ThrowIfDisposed();
        if (IsVideo)
        {
            // The engine hands clips over as items of Frames frames each.
            PredictClipNoise(latents, timesteps, textEmbeddings, noise, shape.Batch, shape.Channels, shape.Frames, shape.Height, shape.Width);
            return;
        }

        if (shape.Frames != 1)
        {
            throw new ArgumentException($"{FilePath} is an image UNet; it takes no {shape.Frames}-frame clips", nameof(shape));
        }

        CheckLengths(latents.Length, timesteps.Length, textEmbeddings.Length, noise.Length, shape.Batch, shape.Length);

        // A scalar timestep can only describe a batch whose items share it: run each run of equal
        // timesteps as its own call.
        var start = 0;
        while (start < shape.Batch)
        {
            var end = start + 1;
            if (HasScalarTimestep)
            {
                while (end < shape.Batch && timesteps[end] == timesteps[start])
                {
                    end++;
                }
            }
            else
            {
                end = shape.Batch;
            }

            var count = end - start;
            var item = shape.ItemLength;
            var embeddingLength = TextEncoderModel.SequenceLength * HiddenSize;
            Run(
                latents.Slice(start * item, count * item),
                [count, shape.Channels, shape.Height, shape.Width],
                timesteps.Slice(start, HasScalarTimestep ? 1 : count),
                HasScalarTimestep ? [] : [count],
                textEmbeddings.Slice(start * embeddingLength, count * embeddingLength),
                count,
                noise.Slice(start * item, count * item));
            start = end;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Binds float32 sample / embeddings / output with a per-item (or per-frame) timestep of any
    /// supported integer or float32 type; a scalar-timestep graph (one call per run of equal
    /// timesteps) and float16 graphs return null and take the converting path.
    /// </remarks>
    public INoisePredictorCall? Bind(LatentShape shape, PinnedBuffer<float> latents, PinnedBuffer<float> timesteps, PinnedBuffer<float> textEmbeddings, PinnedBuffer<float> noise)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(timesteps);
        const TensorElementType float32 = TensorElementType.Float;
        if (HasScalarTimestep || _sample.ElementType != float32 || _hidden.ElementType != float32 || _output.ElementType != float32
            || (_timestepCond is not null && _timestepCond.ElementType != float32) || _timestep.ElementType == TensorElementType.Float16
            || (!IsVideo && shape.Frames != 1))
        {
            return null;
        }

        long[] sampleShape = IsVideo
            ? [shape.Batch, shape.Channels, shape.Frames, shape.Height, shape.Width]
            : [shape.Batch, shape.Channels, shape.Height, shape.Width];
        long[] timestepShape = IsVideo ? [shape.Batch, shape.Frames] : [shape.Batch];
        var call = CreateBoundCall();
        try
        {
            call.BindInput(_sample.Name, latents, sampleShape);
            call.BindInput(_hidden.Name, textEmbeddings, [shape.Batch, TextEncoderModel.SequenceLength, HiddenSize]);
            PinnedBuffer<long>? longs = null;
            PinnedBuffer<int>? ints = null;
            switch (_timestep.ElementType)
            {
                case TensorElementType.Int64:
                    longs = new PinnedBuffer<long>(shape.TimestepCount);
                    call.BindInput(_timestep.Name, longs, timestepShape);
                    break;
                case TensorElementType.Int32:
                    ints = new PinnedBuffer<int>(shape.TimestepCount);
                    call.BindInput(_timestep.Name, ints, timestepShape);
                    break;
                default:
                    call.BindInput(_timestep.Name, timesteps, timestepShape);
                    break;
            }

            if (_timestepCond is not null && _timestepCondRow is not null)
            {
                // Constant per model: filled once for the bound batch.
                var rows = new PinnedBuffer<float>(shape.Batch * _timestepCondRow.Length);
                for (var b = 0; b < shape.Batch; b++)
                {
                    _timestepCondRow.CopyTo(rows.Span[(b * _timestepCondRow.Length)..]);
                }

                call.BindInput(_timestepCond.Name, rows, [shape.Batch, _timestepCondRow.Length]);
            }

            call.BindOutput(_output.Name, noise, sampleShape);
            return new UnetBoundCall(call, timesteps, shape.TimestepCount, longs, ints);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Video denoiser: ε for clips [B,C,F,h,w] with per-frame timesteps [B,F].</summary>
    public void PredictClipNoise(ReadOnlySpan<float> clips, ReadOnlySpan<float> timesteps, ReadOnlySpan<float> textEmbeddings, Span<float> noise, int batch, int channels, int frames, int height, int width)
    {
        ThrowIfDisposed();
        if (!IsVideo)
        {
            throw new InvalidOperationException($"{FilePath} is an image UNet; use PredictNoise");
        }

        var length = batch * channels * frames * height * width;
        if (clips.Length != length || noise.Length != length || timesteps.Length != batch * frames || textEmbeddings.Length != batch * TextEncoderModel.SequenceLength * HiddenSize)
        {
            throw new ArgumentException($"clip batch [{batch},{channels},{frames},{height},{width}] does not match the buffers given");
        }

        Run(clips, [batch, channels, frames, height, width], timesteps, [batch, frames], textEmbeddings, batch, noise);
    }

    private void Run(ReadOnlySpan<float> latents, long[] sampleShape, ReadOnlySpan<float> timesteps, long[] timestepShape, ReadOnlySpan<float> embeddings, int batch, Span<float> noise)
    {
        using var scope = new OrtRunScope();
        scope.AddFloats(_sample, latents, sampleShape);
        scope.AddTimesteps(_timestep, timesteps, timestepShape);
        scope.AddFloats(_hidden, embeddings, [batch, TextEncoderModel.SequenceLength, HiddenSize]);
        if (_timestepCond is not null && _timestepCondRow is not null)
        {
            var rows = new float[batch * _timestepCondRow.Length];
            for (var b = 0; b < batch; b++)
            {
                _timestepCondRow.CopyTo(rows, b * _timestepCondRow.Length);
            }

            scope.AddFloats(_timestepCond, rows, [batch, _timestepCondRow.Length]);
        }

        using var outputs = Session.Run(RunOptions, scope.Names, scope.Values, _outputNames);
        OrtRunScope.CopyOut(outputs[0], _output.Name, noise);
    }

    private void CheckLengths(int latents, int timesteps, int embeddings, int noise, int batch, int expected)
    {
        if (latents != expected || noise != expected)
        {
            throw new ArgumentException($"latent buffers hold {latents}/{noise} floats, shape needs {expected}");
        }

        if (timesteps != batch)
        {
            throw new ArgumentException($"{timesteps} timesteps for a batch of {batch}");
        }

        if (embeddings != batch * TextEncoderModel.SequenceLength * HiddenSize)
        {
            throw new ArgumentException($"text embeddings hold {embeddings} floats, a batch of {batch} needs {batch * TextEncoderModel.SequenceLength * HiddenSize} (hidden size {HiddenSize})");
        }
    }
}
