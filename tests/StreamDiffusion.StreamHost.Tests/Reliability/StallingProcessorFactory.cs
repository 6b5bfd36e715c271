using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

/// <summary>
/// Echo processing that, when told to, blocks in session creation or in a frame without looking at the
/// cancellation token — like a prompt encode queued behind a busy engine or an ONNX run, which cannot be
/// interrupted. <see cref="Unblock"/> lets everything through.
/// </summary>
internal sealed class StallingProcessorFactory : IStreamProcessorFactory
{
    private readonly TaskCompletionSource _unblocked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool StallCreate { get; init; }

    public bool StallFrames { get; init; }

    /// <summary>Released each time a call is blocked.</summary>
    public SemaphoreSlim Blocked { get; } = new(0);

    public string Name => "stalling-echo";

    public void Unblock() => _unblocked.TrySetResult();

    public async ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken)
    {
        if (StallCreate)
        {
            Blocked.Release();
            await _unblocked.Task;
        }

        return new Processor(this, new EchoStreamProcessor(settings));
    }

    private sealed class Processor(StallingProcessorFactory owner, EchoStreamProcessor inner) : IStreamProcessor
    {
        public ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken) =>
            inner.UpdateAsync(settings, cancellationToken);

        public async ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
        {
            if (owner.StallFrames)
            {
                owner.Blocked.Release();
                await owner._unblocked.Task;
            }

            return await inner.ProcessAsync(input, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
