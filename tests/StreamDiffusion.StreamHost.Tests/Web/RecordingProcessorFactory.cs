using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>Echo processing that records the settings each frame was processed with.</summary>
internal sealed class RecordingProcessorFactory : IStreamProcessorFactory
{
    private readonly List<string> _framePrompts = [];

    public string Name => "recording-echo";

    public IReadOnlyList<string> FramePrompts
    {
        get
        {
            lock (_framePrompts)
            {
                return [.. _framePrompts];
            }
        }
    }

    public SessionSettings? Last { get; private set; }

    public ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IStreamProcessor>(new Processor(this, settings));

    private sealed class Processor(RecordingProcessorFactory owner, SessionSettings settings) : IStreamProcessor
    {
        private readonly EchoStreamProcessor _inner = new(settings);
        private SessionSettings _current = settings;

        public ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken)
        {
            _current = settings;
            return _inner.UpdateAsync(settings, cancellationToken);
        }

        public ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
        {
            lock (owner._framePrompts)
            {
                owner._framePrompts.Add(_current.Prompt);
            }

            owner.Last = _current;
            return _inner.ProcessAsync(input, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
