using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Fronts one loaded denoiser for many concurrent streams, in the manner of Triton's dynamic
/// batcher: each caller awaits <see cref="PredictNoiseAsync"/> with its own items, and a worker
/// thread concatenates the queued requests of equal latent shape (up to
/// <see cref="BatchingOptions.MaxBatch"/> items) into a single call of the inner predictor, then
/// copies each caller's slice of ε back. With <see cref="BatchingOptions.Workers"/> above one,
/// that many calls may run on the inner predictor at once (it must allow concurrent calls, as the
/// ONNX <see cref="UnetModel"/> does).
/// </summary>
/// <remarks>
/// <para>Requests of different latent shapes never share a call. A request larger than MaxBatch
/// runs alone, unsplit. While only one client is active nothing waits; with several, a partial
/// batch is held at most <see cref="BatchingOptions.MaxDelay"/> (the multi-worker rule is on
/// <see cref="BatchingOptions"/>). Whichever worker runs it, a request's items stay in one call.</para>
/// <para>Cancelling a caller's token cancels its wait: a queued request is dropped, a running one
/// completes as cancelled at once and its output memory is not written afterwards. An exception
/// from the inner predictor fails exactly the requests of that call; the engine keeps serving.</para>
/// <para>Disposal fails the requests still queued with <see cref="ObjectDisposedException"/>, lets
/// the running calls complete normally, and stops the workers; later calls fail with
/// <see cref="ObjectDisposedException"/>. The engine does not own (or dispose) the inner predictor.</para>
/// <para>Inputs are copied into grow-only staging buffers owned by each worker, so steady-state calls
/// allocate nothing of tensor size, and callers may reuse their buffers as soon as their task completes.</para>
/// </remarks>
public sealed class DenoiserEngine : INoisePredictor, IAsyncDisposable
{
    private readonly MicroBatcher<LatentShape, DenoiseRequest> _batcher;
    private readonly int _embeddingLength;

    /// <summary>Starts an engine in front of <paramref name="inner"/> (typically the ONNX <see cref="UnetModel"/>).</summary>
    public DenoiserEngine(INoisePredictor inner, BatchingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Options = options ?? new BatchingOptions();
        HiddenSize = inner.HiddenSize;
        _embeddingLength = TextEncoderModel.SequenceLength * HiddenSize;
        var itemLength = _embeddingLength;
        _batcher = new MicroBatcher<LatentShape, DenoiseRequest>(() => new DenoiserStaging(inner, itemLength), Options, "denoiser-engine");
        _batcher.Start();
    }

    /// <inheritdoc />
    public int HiddenSize { get; }

    /// <summary>The batching settings in force.</summary>
    public BatchingOptions Options { get; }

    /// <summary>Marks a client (stream) as active until the handle is disposed; see <see cref="ClientRegistration"/>.</summary>
    public ClientRegistration RegisterClient() => _batcher.RegisterClient();

    /// <summary>Why the engine stopped serving after its workers kept dying; null while it serves.</summary>
    public string? FaultReason => _batcher.FaultReason;

    /// <summary>A snapshot of calls, items, batch sizes, queue depth and waiting times.</summary>
    public BatchingStats GetStats() => _batcher.GetStats();

    /// <summary>
    /// Queues the caller's items and completes once ε has been written to <paramref name="noise"/>.
    /// The buffers must stay untouched until then.
    /// </summary>
    /// <exception cref="ArgumentException">Buffer lengths do not match <paramref name="shape"/> (thrown synchronously).</exception>
    /// <remarks>
    /// The returned task faults with <see cref="BatchQueueFullException"/> when the queue is full,
    /// <see cref="ObjectDisposedException"/> after disposal, the inner predictor's exception when its
    /// call fails, and is cancelled when <paramref name="cancellationToken"/> fires first.
    /// </remarks>
    public ValueTask PredictNoiseAsync(
        ReadOnlyMemory<float> latents,
        ReadOnlyMemory<float> timesteps,
        ReadOnlyMemory<float> textEmbeddings,
        Memory<float> noise,
        LatentShape shape,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shape.Batch, 1, nameof(shape));
        ArgumentOutOfRangeException.ThrowIfLessThan(shape.ItemLength, 1, nameof(shape));
        if (latents.Length != shape.Length || noise.Length != shape.Length)
        {
            throw new ArgumentException($"latent buffers hold {latents.Length}/{noise.Length} floats, shape {shape} needs {shape.Length}");
        }

        if (timesteps.Length != shape.TimestepCount)
        {
            throw new ArgumentException($"{timesteps.Length} timesteps for a batch of {shape.Batch} x {shape.Frames} frame(s)", nameof(timesteps));
        }

        if (textEmbeddings.Length != shape.Batch * _embeddingLength)
        {
            throw new ArgumentException($"text embeddings hold {textEmbeddings.Length} floats, a batch of {shape.Batch} needs {shape.Batch * _embeddingLength} (hidden size {HiddenSize})", nameof(textEmbeddings));
        }

        return _batcher.SubmitAsync(new DenoiseRequest(shape, latents, timesteps, textEmbeddings, noise), cancellationToken);
    }

    /// <summary>Fails queued requests, waits for the running calls, stops the worker threads.</summary>
    public ValueTask DisposeAsync() => _batcher.DisposeAsync();
}
