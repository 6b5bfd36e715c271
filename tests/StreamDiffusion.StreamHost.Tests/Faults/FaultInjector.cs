using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.StreamHost.Diffusion;

namespace StreamDiffusion.StreamHost.Tests.Faults;

/// <summary>
/// A <see cref="IModelComponentDecorator"/> the tests register through DI to fail, corrupt or stall the denoiser
/// calls of one session size (sessions of other sizes never share a call with them), without patching host code.
/// </summary>
internal sealed class FaultInjector : IModelComponentDecorator, IDisposable
{
    /// <summary>Text of the injected exception; it must never reach a client.</summary>
    public const string SecretDetail = "injected ONNX Run failure at /secret/path/unet.onnx";

    private readonly ManualResetEventSlim _released = new(true);
    private readonly SemaphoreSlim _blocked = new(0);
    private FaultKind _kind;
    private int _latentHeight = -1;
    private int _remaining;
    private int _hits;

    /// <summary>Calls the armed fault hit so far.</summary>
    public int Hits => Volatile.Read(ref _hits);

    /// <summary>Arms <paramref name="kind"/> for the next <paramref name="calls"/> denoiser calls of <paramref name="sessionSize"/>-pixel sessions (any size when 0).</summary>
    public void Arm(FaultKind kind, int sessionSize, int calls = int.MaxValue)
    {
        lock (_released)
        {
            if (kind == FaultKind.Block)
            {
                _released.Reset();
            }

            _kind = kind;
            _latentHeight = sessionSize / 8;
            _remaining = calls;
        }
    }

    /// <summary>Later calls run normally; blocked calls go on.</summary>
    public void Disarm()
    {
        lock (_released)
        {
            _kind = FaultKind.None;
        }

        Release();
    }

    public void Release() => _released.Set();

    public async Task WaitUntilBlockedAsync() =>
        Assert.True(await _blocked.WaitAsync(TimeSpan.FromSeconds(60)), "no denoiser call reached the blocking fault");

    public INoisePredictor DecorateDenoiser(string model, INoisePredictor denoiser) => new FaultyDenoiser(this, denoiser);

    public ILatentCodec DecorateCodec(string model, ILatentCodec codec) => codec;

    public void Dispose()
    {
        _released.Set();
        _released.Dispose();
        _blocked.Dispose();
    }

    private FaultKind Take(LatentShape shape)
    {
        lock (_released)
        {
            if (_kind == FaultKind.None || _remaining <= 0 || (_latentHeight > 0 && shape.Height != _latentHeight))
            {
                return FaultKind.None;
            }

            _remaining--;
            _hits++;
            return _kind;
        }
    }

    private sealed class FaultyDenoiser(FaultInjector injector, INoisePredictor inner) : INoisePredictor
    {
        public int HiddenSize => inner.HiddenSize;

        public async ValueTask PredictNoiseAsync(ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise, LatentShape shape, CancellationToken cancellationToken = default)
        {
            var fault = injector.Take(shape);
            switch (fault)
            {
                case FaultKind.Throw:
                    throw new InvalidOperationException(SecretDetail);
                case FaultKind.KillWorker:
                    throw new OutOfMemoryException(SecretDetail);
                case FaultKind.Block:
                    injector._blocked.Release();
                    Assert.True(injector._released.Wait(TimeSpan.FromSeconds(60)), "the blocking fault was never released");
                    break;
            }

            await inner.PredictNoiseAsync(latents, timesteps, textEmbeddings, noise, shape, cancellationToken);
            if (fault == FaultKind.NonFinite)
            {
                noise.Span[noise.Length / 2] = float.PositiveInfinity;
            }
        }
    }
}
