using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Micro-batches VAE / TAESD calls from many streams: an asynchronous front for a synchronous
/// <see cref="ILatentCodec"/>. Encode and decode requests are batched separately, and only
/// requests of the same image size share a call.
/// </summary>
/// <remarks>
/// Same queueing, cancellation, failure and disposal rules as <see cref="DenoiserEngine"/>;
/// encode and decode share the workers (one device), and a request with more items than MaxBatch
/// runs alone. With several workers the codec must allow concurrent calls (the ONNX codecs do).
/// The engine does not own the codec.
/// </remarks>
public sealed class CodecEngine : IAsyncDisposable
{
    private readonly ILatentCodec _inner;
    private readonly MicroBatcher<CodecBatchKey, CodecRequest> _batcher;

    /// <summary>Starts an engine in front of <paramref name="inner"/>.</summary>
    public CodecEngine(ILatentCodec inner, BatchingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        Options = options ?? new BatchingOptions();
        _batcher = new MicroBatcher<CodecBatchKey, CodecRequest>(() => new CodecStaging(inner), Options, $"codec-engine ({inner.Name})");
        _batcher.Start();
    }

    /// <summary>The inner codec's name ("vae", "taesd").</summary>
    public string Name => _inner.Name;

    /// <summary>The batching settings in force.</summary>
    public BatchingOptions Options { get; }

    /// <summary>Marks a client as active until the handle is disposed.</summary>
    public ClientRegistration RegisterClient() => _batcher.RegisterClient();

    /// <summary>Why the engine stopped serving after its workers kept dying; null while it serves.</summary>
    public string? FaultReason => _batcher.FaultReason;

    /// <summary>A snapshot of the engine's counters (encode and decode calls together).</summary>
    public BatchingStats GetStats() => _batcher.GetStats();

    /// <summary>Encodes [batch,3,height,width] images into [batch,4,height/8,width/8] latents.</summary>
    /// <exception cref="ArgumentException">Buffers are shorter than the sizes need (thrown synchronously).</exception>
    public ValueTask EncodeAsync(ReadOnlyMemory<float> images, int batch, int height, int width, Memory<float> latents, CancellationToken cancellationToken = default) =>
        Submit(CodecOperation.Encode, images, batch, height, width, latents, cancellationToken);

    /// <summary>Decodes [batch,4,height/8,width/8] latents into [batch,3,height,width] images.</summary>
    /// <exception cref="ArgumentException">Buffers are shorter than the sizes need (thrown synchronously).</exception>
    public ValueTask DecodeAsync(ReadOnlyMemory<float> latents, int batch, int height, int width, Memory<float> images, CancellationToken cancellationToken = default) =>
        Submit(CodecOperation.Decode, latents, batch, height, width, images, cancellationToken);

    /// <summary>
    /// Encodes images held in a pinned buffer into a pinned latent buffer. Run on the caller's thread (a lone
    /// client, <see cref="BatchingOptions.RunAloneInline"/>), the codec reads and writes these buffers directly,
    /// with no staging copy; the images may then be changed in place (the codec's value mapping).
    /// </summary>
    /// <exception cref="ArgumentException">Buffers are shorter than the sizes need (thrown synchronously).</exception>
    public ValueTask EncodeAsync(PinnedBuffer<float> images, int batch, int height, int width, PinnedBuffer<float> latents, CancellationToken cancellationToken = default) =>
        Submit(CodecOperation.Encode, images, batch, height, width, latents, cancellationToken);

    /// <summary>Decodes pinned latents into a pinned image buffer, directly where it can (see the pinned <see cref="EncodeAsync(PinnedBuffer{float}, int, int, int, PinnedBuffer{float}, CancellationToken)"/>); the latents may be changed in place.</summary>
    /// <exception cref="ArgumentException">Buffers are shorter than the sizes need (thrown synchronously).</exception>
    public ValueTask DecodeAsync(PinnedBuffer<float> latents, int batch, int height, int width, PinnedBuffer<float> images, CancellationToken cancellationToken = default) =>
        Submit(CodecOperation.Decode, latents, batch, height, width, images, cancellationToken);

    /// <summary>Fails queued requests, waits for the running calls, stops the worker threads.</summary>
    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    private ValueTask Submit(CodecOperation operation, PinnedBuffer<float> source, int batch, int height, int width, PinnedBuffer<float> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var key = Validate(operation, source.Length, batch, height, width, destination.Length);
        return _batcher.SubmitAsync(new CodecRequest(key, batch, source, destination), cancellationToken);
    }

    private ValueTask Submit(CodecOperation operation, ReadOnlyMemory<float> source, int batch, int height, int width, Memory<float> destination, CancellationToken cancellationToken)
    {
        var key = Validate(operation, source.Length, batch, height, width, destination.Length);
        return _batcher.SubmitAsync(new CodecRequest(key, batch, source, destination), cancellationToken);
    }

    private static CodecBatchKey Validate(CodecOperation operation, int sourceLength, int batch, int height, int width, int destinationLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 8);
        var key = new CodecBatchKey(operation, height, width);
        if (sourceLength < batch * key.InputLength || destinationLength < batch * key.OutputLength)
        {
            throw new ArgumentException($"{operation} of {batch}x{height}x{width} needs {batch * key.InputLength} input and {batch * key.OutputLength} output floats, got {sourceLength} and {destinationLength}");
        }

        return key;
    }
}
