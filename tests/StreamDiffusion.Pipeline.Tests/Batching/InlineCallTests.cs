using Microsoft.ML.OnnxRuntime;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Models.Onnx;
using StreamDiffusion.Pipeline.Models.Synthetic;
using StreamDiffusion.Pipeline.Streaming;
using StreamDiffusion.Pipeline.Tests.Models;

namespace StreamDiffusion.Pipeline.Tests.Batching;

/// <summary>
/// The lone-client path (BatchingOptions.RunAloneInline, issue 13): a request with nothing to batch with runs on
/// its caller's thread, over the caller's own buffers for the codec, with the same numbers as the worker path;
/// anything that could batch, or a call that cannot be stopped, goes to the workers; cancelling an inline call
/// stops the ONNX run and leaves the engine serving.
/// </summary>
public sealed class InlineCallTests(SyntheticPackFixture packs) : IClassFixture<SyntheticPackFixture>
{
    private const int Size = 64;

    [Fact]
    public async Task A_lone_clients_request_runs_on_its_own_thread_and_has_completed_when_submit_returns()
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size }));
        var recorder = new RecordingPredictor(pack.Unet);
        await using var engine = new DenoiserEngine(recorder, new BatchingOptions { Workers = 2 });
        using var registration = engine.RegisterClient();
        var work = new UnetWork(pack.Unet, new LatentShape(2, 4, Size / 8, Size / 8), seed: 1);
        using var cancellation = new CancellationTokenSource();

        var pending = work.SubmitAsync(engine, cancellation.Token);

        Assert.True(pending.IsCompletedSuccessfully, "a lone client's request should have run before submit returned");
        Assert.Equal(Environment.CurrentManagedThreadId, recorder.LastThread);
        work.AssertMatchesDirect();
        var stats = engine.GetStats();
        Assert.Equal(1, stats.Calls);
        Assert.Equal(1, stats.InlineCalls);
        Assert.Equal(TimeSpan.Zero, stats.TotalQueueWait);
    }

    [Fact]
    public async Task With_another_active_client_requests_go_to_the_workers()
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size }));
        var recorder = new RecordingPredictor(pack.Unet);
        await using var engine = new DenoiserEngine(recorder, new BatchingOptions { Workers = 2, MaxDelay = TimeSpan.Zero });
        using var first = engine.RegisterClient();
        using var second = engine.RegisterClient();
        var work = new UnetWork(pack.Unet, new LatentShape(2, 4, Size / 8, Size / 8), seed: 2);

        await work.SubmitAsync(engine, CancellationToken.None);

        Assert.NotEqual(Environment.CurrentManagedThreadId, recorder.LastThread);
        work.AssertMatchesDirect();
        Assert.Equal(0, engine.GetStats().InlineCalls);
        Assert.Equal(1, engine.GetStats().Calls);
    }

    [Fact]
    public async Task The_option_turns_the_inline_path_off()
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size }));
        await using var engine = new DenoiserEngine(pack.Unet, new BatchingOptions { RunAloneInline = false });
        using var registration = engine.RegisterClient();
        var work = new UnetWork(pack.Unet, new LatentShape(2, 4, Size / 8, Size / 8), seed: 3);

        await work.SubmitAsync(engine, CancellationToken.None);

        work.AssertMatchesDirect();
        Assert.Equal(0, engine.GetStats().InlineCalls);
    }

    [Fact]
    public async Task A_model_call_that_cannot_be_stopped_always_goes_to_a_worker()
    {
        // The probe binds nothing: its calls cannot be stopped from outside, so a caller must never wait on one.
        await using var engine = new DenoiserEngine(new ProbeNoisePredictor(), new BatchingOptions { Workers = 2 });
        using var registration = engine.RegisterClient();
        var random = new Random(4);
        for (var i = 0; i < 3; i++)
        {
            var work = new DenoiseWork(random, new LatentShape(2, 4, 8, 8));
            await work.SubmitAsync(engine);
            work.AssertMatchesDirect();
        }

        Assert.Equal(3, engine.GetStats().Calls);
        Assert.Equal(0, engine.GetStats().InlineCalls);
    }

    [Fact]
    public async Task Cancelling_an_inline_call_stops_the_onnx_run_and_the_engine_serves_the_next_request()
    {
        // Slow enough (hundreds of ms per call) that the cancellation lands while ONNX Runtime runs the graph.
        const int size = 512;
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = size, ComputeLayers = 24, ComputeChannels = 128 }));
        var recorder = new RecordingPredictor(pack.Unet);
        await using var engine = new DenoiserEngine(recorder, new BatchingOptions { Workers = 2 });
        using var registration = engine.RegisterClient();
        var shape = new LatentShape(1, 4, size / 8, size / 8);
        var cancelled = new UnetWork(pack.Unet, shape, seed: 5);
        using var cancellation = new CancellationTokenSource();
        // A thread of its own: the inline call holds this test's thread, and thread-pool work may queue behind others'.
        var canceller = new Thread(() =>
        {
            if (recorder.Entered.Wait(TimeSpan.FromSeconds(60)))
            {
                Thread.Sleep(20);
                cancellation.Cancel();
            }
        });
        canceller.Start();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.SubmitAsync(engine, cancellation.Token).AsTask());
        canceller.Join();

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(Environment.CurrentManagedThreadId, recorder.LastThread);

        // The run itself was stopped (ONNX Runtime's terminate flag), not merely abandoned.
        var stopped = Assert.IsType<OperationCanceledException>(recorder.LastError);
        Assert.IsType<OnnxRuntimeException>(stopped.InnerException);
        var stats = engine.GetStats();
        Assert.Equal(1, stats.CancelledRequests);
        Assert.Equal(0, stats.FailedCalls);

        // The flag was cleared: the same bound call runs the next request to the end.
        recorder.Entered.Reset();
        var next = new UnetWork(pack.Unet, shape, seed: 6);
        await next.SubmitAsync(engine, CancellationToken.None);
        Assert.Null(recorder.LastError);
        next.AssertMatchesDirect();
        Assert.Equal(2, engine.GetStats().InlineCalls);
    }

    [Fact]
    public async Task A_lone_stream_runs_its_codec_on_its_own_buffers_and_gets_the_frames_the_workers_give()
    {
        using var pack = ModelPack.Load(packs.Get(new SyntheticPackOptions { ImageSize = Size, Taesd = true }));
        var frames = Enumerable.Range(0, 4).Select(i => Frame(i)).ToArray();
        await using var inline = new ModelRuntime(pack, ownsPack: false);
        await using var workers = new ModelRuntime(pack, new BatchingOptions { Workers = 2, RunAloneInline = false }, ownsPack: false);

        var viaInline = await RunAsync(inline, frames);
        var viaWorkers = await RunAsync(workers, frames);

        for (var i = 0; i < frames.Length; i++)
        {
            Assert.True(viaInline[i].AsSpan().SequenceEqual(viaWorkers[i]), $"frame {i} differs between the inline and the worker path");
        }

        // Encode and decode per frame, all inline; the worker runtime ran none inline.
        var codec = inline.Codec.GetStats();
        Assert.Equal(2 * frames.Length, codec.Calls);
        Assert.Equal(2 * frames.Length, codec.InlineCalls);
        Assert.Equal(inline.Denoiser.GetStats().Calls, inline.Denoiser.GetStats().InlineCalls);
        Assert.Equal(0, workers.Codec.GetStats().InlineCalls);
        Assert.Equal(0, workers.Denoiser.GetStats().InlineCalls);
    }

    private static async Task<byte[][]> RunAsync(ModelRuntime runtime, byte[][] frames)
    {
        await using var stream = await ImageStream.CreateAsync(runtime, new ImageStreamOptions
        {
            Width = Size,
            Height = Size,
            Prompt = "a photo of a cat",
            Filter = new SimilarityFilterSettings(Enabled: false),
            Output = new FrameEncoding { Format = FrameFormat.Rgb24 },
        });
        var outputs = new byte[frames.Length][];
        for (var i = 0; i < frames.Length; i++)
        {
            var result = await stream.ProcessFrameAsync(frames[i], FrameDescriptor.Rgb24(Size, Size));
            outputs[i] = result.Output.Data.ToArray();
        }

        return outputs;
    }

    private static byte[] Frame(int index)
    {
        var random = new Random(100 + index);
        var rgb = new byte[3 * Size * Size];
        random.NextBytes(rgb);
        return rgb;
    }

    /// <summary>One UNet request's inputs and output, and the ε the UNet gives when called directly.</summary>
    private sealed class UnetWork
    {
        private readonly UnetModel _unet;
        private readonly LatentShape _shape;
        private readonly float[] _latents;
        private readonly float[] _timesteps;
        private readonly float[] _embeddings;
        private readonly float[] _noise;

        public UnetWork(UnetModel unet, LatentShape shape, int seed)
        {
            var random = new Random(seed);
            _unet = unet;
            _shape = shape;
            _latents = Values(random, shape.Length);
            _timesteps = [.. Enumerable.Range(0, shape.Batch).Select(_ => (float)random.Next(0, 1000))];
            _embeddings = Values(random, shape.Batch * TextEncoderModel.SequenceLength * unet.HiddenSize);
            _noise = new float[shape.Length];
        }

        public ValueTask SubmitAsync(DenoiserEngine engine, CancellationToken cancellationToken) =>
            engine.PredictNoiseAsync(_latents, _timesteps, _embeddings, _noise, _shape, cancellationToken);

        public void AssertMatchesDirect()
        {
            var expected = new float[_shape.Length];
            _unet.PredictNoise(_latents, _timesteps, _embeddings, expected, _shape);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - _noise[i]) <= 1e-6f, $"ε[{i}] = {_noise[i]}, the UNet alone gives {expected[i]}");
            }
        }

        private static float[] Values(Random random, int length) =>
            [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    /// <summary>Passes the UNet through, recording on which thread its bound calls ran and how the last one ended.</summary>
    private sealed class RecordingPredictor(UnetModel inner) : INoisePredictor
    {
        private int _lastThread;
        private Exception? _lastError;

        public ManualResetEventSlim Entered { get; } = new();

        public int HiddenSize => inner.HiddenSize;

        public int LastThread => Volatile.Read(ref _lastThread);

        public Exception? LastError => Volatile.Read(ref _lastError);

        public ValueTask PredictNoiseAsync(ReadOnlyMemory<float> latents, ReadOnlyMemory<float> timesteps, ReadOnlyMemory<float> textEmbeddings, Memory<float> noise, LatentShape shape, CancellationToken cancellationToken = default) =>
            inner.PredictNoiseAsync(latents, timesteps, textEmbeddings, noise, shape, cancellationToken);

        public INoisePredictorCall? Bind(LatentShape shape, PinnedBuffer<float> latents, PinnedBuffer<float> timesteps, PinnedBuffer<float> textEmbeddings, PinnedBuffer<float> noise) =>
            inner.Bind(shape, latents, timesteps, textEmbeddings, noise) is { } call ? new RecordingCall(this, call) : null;

        private sealed class RecordingCall(RecordingPredictor owner, INoisePredictorCall call) : INoisePredictorCall
        {
            public void Run(CancellationToken cancellationToken)
            {
                Volatile.Write(ref owner._lastThread, Environment.CurrentManagedThreadId);
                Volatile.Write(ref owner._lastError, null);
                owner.Entered.Set();
                try
                {
                    call.Run(cancellationToken);
                }
                catch (Exception ex)
                {
                    Volatile.Write(ref owner._lastError, ex);
                    throw;
                }
            }

            public void Dispose() => call.Dispose();
        }
    }
}
