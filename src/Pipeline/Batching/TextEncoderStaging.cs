using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>One <see cref="TextEncoderEngine"/> worker's staging buffers in front of the shared encoder.</summary>
internal sealed class TextEncoderStaging(TextEncodeFunction encode, int embeddingLength) : IBatchExecutor<int, TextEncodeRequest>
{
    // Grow-only; only this worker's thread touches them.
    private long[] _ids = [];
    private float[] _embeddings = [];

    public void Prepare(int key, int items, TextEncodeRequest? inlineRequest)
    {
        GrowBuffer.Ensure(ref _ids, items * TextEncoderModel.SequenceLength);
        GrowBuffer.Ensure(ref _embeddings, items * embeddingLength);
    }

    public void Stage(TextEncodeRequest request, int itemOffset) =>
        request.Ids.Span.CopyTo(_ids.AsSpan(itemOffset * TextEncoderModel.SequenceLength));

    // The text encoder runs unbound; its calls are short and happen only when prompts change.
    public bool CanAbort => false;

    public void Run(int key, int items, CancellationToken abort) =>
        encode(_ids.AsSpan(0, items * TextEncoderModel.SequenceLength), items, _embeddings.AsSpan(0, items * embeddingLength));

    public void Unstage(TextEncodeRequest request, int itemOffset) =>
        _embeddings.AsSpan(itemOffset * embeddingLength, request.Items * embeddingLength).CopyTo(request.Embeddings.Span);

    public void Dispose()
    {
        // Plain managed buffers: nothing to release.
    }
}
