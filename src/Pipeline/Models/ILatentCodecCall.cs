namespace StreamDiffusion.Pipeline.Models;

/// <summary>
/// A latent codec call of one shape bound once to fixed buffers (<see cref="ILatentCodec.BindEncode"/>,
/// <see cref="ILatentCodec.BindDecode"/>): each <see cref="Run"/> reads the input buffer and writes
/// the output buffer with no tensor creation or copy. One owner calls it, one call at a time.
/// </summary>
public interface ILatentCodecCall : IDisposable
{
    /// <summary>Runs the codec on the bound buffers; the input buffer may be changed in place.</summary>
    /// <param name="cancellationToken">
    /// Cancelling it stops a running call between graph nodes (ONNX Runtime's terminate flag); the call then
    /// throws <see cref="OperationCanceledException"/> and the output buffer holds garbage.
    /// </param>
    void Run(CancellationToken cancellationToken);
}
