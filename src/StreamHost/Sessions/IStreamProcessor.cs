namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// The per-frame work of one session (decode, diffusion, encode). A session calls it from one task at a time:
/// never concurrently, always in frame order.
/// </summary>
public interface IStreamProcessor : IAsyncDisposable
{
    /// <summary>
    /// Applies new live parameters (after a control message) before the next frame. Must not restart the
    /// stream: latents in flight finish under the new values.
    /// </summary>
    ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken);

    /// <summary>
    /// Processes one frame. Throw <see cref="FrameRejectedException"/> for unusable input; any other exception
    /// fails the frame with INTERNAL. The returned data must stay valid until the next call.
    /// </summary>
    ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken);
}
