using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests;

/// <summary>Echo processing that waits for the test to release each frame, to create backlog on purpose.</summary>
internal sealed class GatedProcessorFactory : IStreamProcessorFactory
{
    public SemaphoreSlim Gate { get; } = new(0);

    /// <summary>Released each time a frame reaches the processor.</summary>
    public SemaphoreSlim Entered { get; } = new(0);

    public string Name => "gated-echo";

    public ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IStreamProcessor>(new Processor(new EchoStreamProcessor(settings), Gate, Entered));

    private sealed class Processor(EchoStreamProcessor inner, SemaphoreSlim gate, SemaphoreSlim entered) : IStreamProcessor
    {
        public ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken) =>
            inner.UpdateAsync(settings, cancellationToken);

        public async ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
        {
            entered.Release();
            await gate.WaitAsync(cancellationToken);
            return await inner.ProcessAsync(input, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
