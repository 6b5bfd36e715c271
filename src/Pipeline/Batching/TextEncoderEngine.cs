using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// Micro-batches text encoder calls from many streams (prompt changes, new sessions) into one
/// encoder run, the same way <see cref="DenoiserEngine"/> batches UNet calls. Callers submit
/// [rows,77] id rows and get [rows,77,D] embeddings.
/// </summary>
/// <remarks>
/// Same queueing, cancellation, failure and disposal rules as <see cref="DenoiserEngine"/>;
/// a request with more rows than MaxBatch runs alone. The engine does not own the encoder.
/// </remarks>
public sealed class TextEncoderEngine : IAsyncDisposable
{
    private readonly MicroBatcher<int, TextEncodeRequest> _batcher;
    private readonly int _embeddingLength;

    /// <summary>Starts an engine in front of an ONNX text encoder.</summary>
    public TextEncoderEngine(TextEncoderModel model, BatchingOptions? options = null)
        : this(NotNull(model).HiddenSize, model.Encode, options)
    {
    }

    /// <summary>Starts an engine in front of any encoder with the text encoder's shapes.</summary>
    /// <param name="hiddenSize">Embedding width D.</param>
    /// <param name="encode">The encoder; called from the engine's worker threads only, one call per worker at a time (so concurrently when <see cref="BatchingOptions.Workers"/> is above one).</param>
    /// <param name="options">Batching settings; defaults when null.</param>
    public TextEncoderEngine(int hiddenSize, TextEncodeFunction encode, BatchingOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentNullException.ThrowIfNull(encode);
        HiddenSize = hiddenSize;
        _embeddingLength = TextEncoderModel.SequenceLength * hiddenSize;
        var rowLength = _embeddingLength;
        Options = options ?? new BatchingOptions();
        _batcher = new MicroBatcher<int, TextEncodeRequest>(() => new TextEncoderStaging(encode, rowLength), Options, "text-encoder-engine");
        _batcher.Start();
    }

    /// <summary>Embedding width D.</summary>
    public int HiddenSize { get; }

    /// <summary>The batching settings in force.</summary>
    public BatchingOptions Options { get; }

    /// <summary>Marks a client as active until the handle is disposed.</summary>
    public ClientRegistration RegisterClient() => _batcher.RegisterClient();

    /// <summary>Why the engine stopped serving after its workers kept dying; null while it serves.</summary>
    public string? FaultReason => _batcher.FaultReason;

    /// <summary>A snapshot of the engine's counters (items are id rows).</summary>
    public BatchingStats GetStats() => _batcher.GetStats();

    /// <summary>Encodes <c>ids.Length / 77</c> id rows into <paramref name="embeddings"/> ([rows,77,D]).</summary>
    /// <exception cref="ArgumentException">Lengths are not whole rows or do not match (thrown synchronously).</exception>
    public ValueTask EncodeAsync(ReadOnlyMemory<long> ids, Memory<float> embeddings, CancellationToken cancellationToken = default)
    {
        var rows = ids.Length / TextEncoderModel.SequenceLength;
        if (rows < 1 || ids.Length != rows * TextEncoderModel.SequenceLength)
        {
            throw new ArgumentException($"expected whole rows of {TextEncoderModel.SequenceLength} ids, got {ids.Length}", nameof(ids));
        }

        if (embeddings.Length != rows * _embeddingLength)
        {
            throw new ArgumentException($"embeddings hold {embeddings.Length} floats, {rows} rows need {rows * _embeddingLength}", nameof(embeddings));
        }

        return _batcher.SubmitAsync(new TextEncodeRequest(rows, ids, embeddings), cancellationToken);
    }

    /// <summary>Encodes one or more id rows into a new [rows,77,D] array (for prompt changes, where an allocation does not matter).</summary>
    public async ValueTask<float[]> EncodeAsync(ReadOnlyMemory<long> ids, CancellationToken cancellationToken = default)
    {
        var result = new float[ids.Length / TextEncoderModel.SequenceLength * _embeddingLength];
        await EncodeAsync(ids, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Fails queued requests, waits for the running calls, stops the worker threads.</summary>
    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    private static TextEncoderModel NotNull(TextEncoderModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model;
    }
}
