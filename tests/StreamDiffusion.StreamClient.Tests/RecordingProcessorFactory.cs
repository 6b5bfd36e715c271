using System.Collections.Concurrent;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamClient.Tests;

/// <summary>
/// The echo processor, plus a record of the prompt in effect for every frame it processed (so a control message
/// can be observed), an optional failure of every n-th frame and an optional per-frame delay (to cause drops).
/// </summary>
internal sealed class RecordingProcessorFactory : IStreamProcessorFactory
{
    public ConcurrentDictionary<ulong, string> PromptBySequence { get; } = new();

    /// <summary>Frames whose sequence is a positive multiple of this are rejected (0: none).</summary>
    public int FailEvery { get; init; }

    public TimeSpan Delay { get; init; }

    public string Name => "recording-echo";

    public ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IStreamProcessor>(new Processor(this, settings));

    private sealed class Processor(RecordingProcessorFactory owner, SessionSettings settings) : IStreamProcessor
    {
        private readonly EchoStreamProcessor _inner = new(settings);
        private SessionSettings _settings = settings;

        public ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken)
        {
            _settings = settings;
            return _inner.UpdateAsync(settings, cancellationToken);
        }

        public async ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
        {
            owner.PromptBySequence[input.Sequence] = _settings.Prompt;
            if (owner.Delay > TimeSpan.Zero)
            {
                await Task.Delay(owner.Delay, cancellationToken);
            }

            if (owner.FailEvery > 0 && input.Sequence > 0 && input.Sequence % (ulong)owner.FailEvery == 0)
            {
                throw new FrameRejectedException($"test rejects frame {input.Sequence}");
            }

            return await _inner.ProcessAsync(input, cancellationToken);
        }

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}
