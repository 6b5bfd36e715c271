using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Scheduling;

namespace StreamDiffusion.Pipeline.Streaming;

/// <summary>
/// Stream Batch denoising for one stream (DESIGN.md section 4): n LCM steps per frame spread over n
/// consecutive calls, so that each call makes one UNet call over n blocks of f latents at n different
/// timesteps and emits f fully denoised latents. Also applies residual CFG and live settings changes.
/// </summary>
/// <remarks>
/// <para>
/// Latency: a frame entered at call c is emitted at call c + n − 1 (block by block, f frames per call);
/// the output always equals running the n steps sequentially on that frame block with the same noise.
/// </para>
/// <para>
/// Filling the buffer: the first call (and the first call after <see cref="Reset"/>) runs all n steps
/// of its block back to back (n UNet calls of f items — the same item count as one steady call) and
/// emits the result, and it seeds every buffer block with that block's own intermediate latents. The
/// calls that follow therefore emit the first block again until the pipeline has turned over (n − 1
/// repeats), then the newer blocks in order. No zero or partly denoised latent is ever emitted, the
/// output never goes back in time, and no later call does more than one frame's work.
/// </para>
/// <para>
/// Live changes (<see cref="Settings"/>) apply at the start of the next call. Prompt, negative prompt,
/// g and δ simply apply to every latent in flight. A new t_index list or new noise (seed, seed blend,
/// noise mode) re-derives the buffer without a UNet call: block k + 1 is re-noised from the clean
/// estimate x̂₀ the last call produced for block k, at the new level and with the new noise — exactly
/// what the last call's buffer update would have produced under the new settings. When n grows, the
/// extra (oldest) blocks repeat the oldest estimate; when it shrinks, the oldest frames in flight are
/// dropped. The residual-CFG stock noise restarts from η after such a change.
/// </para>
/// <para>
/// Residual CFG stock noise, block-aligned: the block at step k uses S_k = η_k + ΔS_{k−1}, where ΔS_{k−1} is
/// α_k/σ_k times the LCM step (at t_{k−1}) applied to σ_{k−1}·S_{k−1} with the combined ε of the same frame's
/// previous step, and S_0 = η_0 (self) or the real negative ε_u (initialize). This is the Python reference's
/// roll/concat bookkeeping with blocks of f instead of single items.
/// </para>
/// <para>
/// With one step (n = 1) the reference never resets its stock noise from η: it starts at zero and each call
/// leaves η₀ + ΔS (ΔS the LCM step of σ₀·S with the combined ε, unscaled since there is no next block) for
/// the next frame. This class does the same (the first call after a reset or a settings change uses S = 0),
/// so a one-step stream gives the reference's pictures; the carried ΔS acts as a temporal prior on the
/// unconditional noise. For n &gt; 1 the carry out of the last block is dropped, as in the reference.
/// </para>
/// <para>
/// Guidance acts only when g &gt; 1 (as the reference): for g ≤ 1 every CFG mode runs ε = ε_c on n·f items,
/// with no unconditional items and no stock-noise update.
/// </para>
/// <para>Not thread-safe for concurrent calls (one call at a time; a second concurrent call throws);
/// <see cref="Settings"/> may be assigned from any thread.</para>
/// </remarks>
public sealed class StreamBatchDenoiser
{
    private readonly INoisePredictor _predictor;
    private readonly LcmScheduler _scheduler;
    private readonly LatentShape _frameShape;
    private readonly int _frames;
    private readonly int _itemLength;
    private readonly int _blockLength;
    private readonly float[] _stockScratch;
    private readonly float[] _noiseScratch;

    private StreamSettings _pending;
    private StreamSettings? _applied;

    private int _steps;
    private int[] _tIndex = [];
    private LcmStepCoefficients[] _coefficients = [];

    // n blocks each: block k of _latents is the latent entering step k (block 0 is this call's input).
    private float[] _eta = [];
    private float[] _latents = [];
    private float[] _x0 = [];
    private float[] _stockDelta = [];

    // n = 1 only: ΔS carried from the previous call (see the class remarks).
    private readonly float[] _carry = [];
    private bool _hasCarry;

    private float[] _batchLatents = [];
    private float[] _batchNoise = [];
    private float[] _batchTimesteps = [];
    private float[] _batchEmbeddings = [];
    private int _embeddingLength;
    private int _layoutUncondItems = -1;
    private int _layoutCondItems = -1;
    private float[]? _layoutPositive;
    private float[]? _layoutNegative;

    private GaussianNoiseGenerator[] _freshGenerators = [];
    private float[] _noiseWeights = [];

    private bool _warm;
    private int _busy;
    private long _unetCalls;
    private long _unetItems;
    private long _callCount;

    /// <summary>Creates the stream state.</summary>
    /// <param name="predictor">The denoiser (the engine in production, a probe in tests).</param>
    /// <param name="scheduler">LCM scheduler of the model pack.</param>
    /// <param name="frameShape">Shape of one call's latents: Batch = f (frame buffer size), then C, h, w.</param>
    /// <param name="settings">Initial live settings.</param>
    public StreamBatchDenoiser(INoisePredictor predictor, LcmScheduler scheduler, LatentShape frameShape, StreamSettings settings)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameShape.Batch, 1, nameof(frameShape));
        ArgumentOutOfRangeException.ThrowIfLessThan(frameShape.Channels, 1, nameof(frameShape));
        ArgumentOutOfRangeException.ThrowIfLessThan(frameShape.Height, 1, nameof(frameShape));
        ArgumentOutOfRangeException.ThrowIfLessThan(frameShape.Width, 1, nameof(frameShape));
        _predictor = predictor;
        _scheduler = scheduler;
        _frameShape = frameShape;
        _frames = frameShape.Batch;
        _itemLength = frameShape.ItemLength;
        _blockLength = frameShape.Length;
        _stockScratch = new float[_blockLength];
        _carry = new float[_blockLength];
        _noiseScratch = new float[_blockLength];
        Validate(settings);
        _pending = settings;
        ApplySettings(settings);
    }

    /// <summary>Shape of one call's input and output latents ([f, C, h, w]).</summary>
    public LatentShape FrameShape => _frameShape;

    /// <summary>Frame buffer size f: latents per call.</summary>
    public int FrameBufferSize => _frames;

    /// <summary>
    /// The live settings. Assigning validates immediately (throws <see cref="ArgumentException"/> on bad
    /// values, leaving the stream unchanged) and takes effect from the next call.
    /// </summary>
    public StreamSettings Settings
    {
        get => Volatile.Read(ref _pending);
        set
        {
            Validate(value);
            Volatile.Write(ref _pending, value);
        }
    }

    /// <summary>Step count n of the settings in force (applied at the last call).</summary>
    public int StepCount => _steps;

    /// <summary>Calls between a frame block's input and its output: n − 1 of the settings in force.</summary>
    public int OutputLatency => _steps - 1;

    /// <summary>
    /// UNet items of one steady-state call under the settings in force: n·f (none, self), 2·n·f (full),
    /// (n+1)·f (initialize). Useful to size the engine's micro-batches.
    /// </summary>
    public int SteadyItemsPerCall => (!IsGuided(_applied!) ? _steps : _applied!.CfgMode switch
    {
        CfgMode.Full => 2 * _steps,
        CfgMode.Initialize => _steps + 1,
        _ => _steps,
    }) * _frames;

    /// <summary>Whether the latent buffer is filled (false before the first call and after <see cref="Reset"/>).</summary>
    public bool IsWarm => _warm;

    /// <summary>UNet calls made so far (through <see cref="INoisePredictor"/>).</summary>
    public long UNetCalls => Interlocked.Read(ref _unetCalls);

    /// <summary>UNet batch items submitted so far.</summary>
    public long UNetItems => Interlocked.Read(ref _unetItems);

    /// <summary>Completed denoise / generate calls.</summary>
    public long Calls => Interlocked.Read(ref _callCount);

    /// <summary>
    /// img2img: takes f VAE-encoded, already scaled latents z ([f, C, h, w] flattened), and writes f fully
    /// denoised latents x̂₀ into <paramref name="output"/> (same length) — the frame block entered
    /// <see cref="OutputLatency"/> calls ago, as described on the class.
    /// </summary>
    public ValueTask DenoiseAsync(ReadOnlyMemory<float> encodedLatents, Memory<float> output, CancellationToken cancellationToken = default)
    {
        if (encodedLatents.Length != _blockLength)
        {
            throw new ArgumentException($"Expected {_blockLength} floats ({_frameShape}), got {encodedLatents.Length}.", nameof(encodedLatents));
        }

        return RunAsync(encodedLatents, true, output, cancellationToken);
    }

    /// <summary>
    /// txt2img: the new block starts as pure noise η₀ at t₀ (fixed per stream by default, so a steady prompt
    /// gives a steady picture and prompt changes morph it); writes f denoised latents into <paramref name="output"/>.
    /// </summary>
    public ValueTask GenerateAsync(Memory<float> output, CancellationToken cancellationToken = default) =>
        RunAsync(ReadOnlyMemory<float>.Empty, false, output, cancellationToken);

    /// <summary>Drops the latents in flight; the next call fills the buffer again (see the class remarks).</summary>
    public void Reset()
    {
        EnterCall();
        try
        {
            _warm = false;
            _hasCarry = false;
            Array.Clear(_stockDelta);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private ValueTask RunAsync(ReadOnlyMemory<float> encoded, bool imageToImage, Memory<float> output, CancellationToken cancellationToken)
    {
        // Argument and concurrency errors surface synchronously, before any state changes.
        if (output.Length != _blockLength)
        {
            throw new ArgumentException($"Output must hold {_blockLength} floats ({_frameShape}), got {output.Length}.", nameof(output));
        }

        EnterCall();
        bool handedOff = false;
        try
        {
            ApplySettings(Volatile.Read(ref _pending));
            PrepareInput(encoded.Span, imageToImage);
            if (!_warm || _applied!.ZeroLatency)
            {
                handedOff = true;
                return FillAsync(output, cancellationToken);
            }

            // Steady state: one UNet call. When the predictor completes synchronously no async state
            // machine is involved at all, so the call allocates nothing.
            int uncondBlocks = BeginBlocks(0, _steps, out int items);
            ValueTask prediction = Predict(items, cancellationToken);
            if (!prediction.IsCompletedSuccessfully)
            {
                handedOff = true;
                return CompleteSteadyAsync(prediction, uncondBlocks, items, output);
            }

            prediction.GetAwaiter().GetResult();
            EndBlocks(0, _steps, uncondBlocks, items);
            EmitOutput(output.Span);
            return default;
        }
        finally
        {
            if (!handedOff)
            {
                Volatile.Write(ref _busy, 0);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteSteadyAsync(ValueTask prediction, int uncondBlocks, int items, Memory<float> output)
    {
        try
        {
            await prediction.ConfigureAwait(false);
            EndBlocks(0, _steps, uncondBlocks, items);
            EmitOutput(output.Span);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Back-to-back fill: each step writes the next block's latent before the next step reads it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(Memory<float> output, CancellationToken cancellationToken)
    {
        try
        {
            for (int k = 0; k < _steps; k++)
            {
                int uncondBlocks = BeginBlocks(k, 1, out int items);
                await Predict(items, cancellationToken).ConfigureAwait(false);
                EndBlocks(k, 1, uncondBlocks, items);
            }

            _warm = true;
            EmitOutput(output.Span);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void EnterCall()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("A stream processes one call at a time; await the previous call first.");
        }
    }

    /// <summary>Assembles the UNet batch for blocks first .. first + count − 1; returns the number of uncond blocks.</summary>
    private int BeginBlocks(int first, int count, out int items)
    {
        int uncondBlocks = !IsGuided(_applied!) ? 0 : _applied!.CfgMode switch
        {
            CfgMode.Full => count,
            CfgMode.Initialize => first == 0 ? 1 : 0,
            _ => 0,
        };
        items = (uncondBlocks + count) * _frames;
        AssembleBatch(first, count, uncondBlocks);
        return uncondBlocks;
    }

    private ValueTask Predict(int items, CancellationToken cancellationToken) =>
        _predictor.PredictNoiseAsync(
            _batchLatents.AsMemory(0, items * _itemLength),
            _batchTimesteps.AsMemory(0, items),
            _batchEmbeddings.AsMemory(0, items * _embeddingLength),
            _batchNoise.AsMemory(0, items * _itemLength),
            _frameShape.WithBatch(items),
            cancellationToken);

    private void EndBlocks(int first, int count, int uncondBlocks, int items)
    {
        Interlocked.Increment(ref _unetCalls);
        Interlocked.Add(ref _unetItems, items);
        FinishBlocks(first, count, uncondBlocks);
    }

    private void EmitOutput(Span<float> output)
    {
        Block(_x0, _steps - 1).CopyTo(output);
        Interlocked.Increment(ref _callCount);
    }

    private void PrepareInput(ReadOnlySpan<float> encoded, bool imageToImage)
    {
        if (_applied!.NoiseMode == NoiseMode.Fresh)
        {
            FillFreshNoise(0);
        }

        if (imageToImage)
        {
            AddNoise(encoded, Block(_eta, 0), 0, Block(_latents, 0));
        }
        else
        {
            Block(_eta, 0).CopyTo(Block(_latents, 0));
        }
    }

    /// <summary>Batch layout: [uncond blocks ; cond blocks], each block f consecutive items.</summary>
    private void AssembleBatch(int first, int count, int uncondBlocks)
    {
        for (int u = 0; u < uncondBlocks; u++)
        {
            CopyBlockToBatch(first + u, u);
        }

        for (int c = 0; c < count; c++)
        {
            CopyBlockToBatch(first + c, uncondBlocks + c);
        }

        int uncondItems = uncondBlocks * _frames;
        int condItems = count * _frames;
        float[] positive = _applied!.PromptEmbedding;
        float[]? negative = _applied.NegativePromptEmbedding;

        // The embedding batch is large (77·D floats per item) and only changes with the layout or the prompt.
        if (uncondItems != _layoutUncondItems || condItems != _layoutCondItems
            || !ReferenceEquals(positive, _layoutPositive) || !ReferenceEquals(negative, _layoutNegative))
        {
            for (int i = 0; i < uncondItems; i++)
            {
                negative!.CopyTo(_batchEmbeddings, i * _embeddingLength);
            }

            for (int i = 0; i < condItems; i++)
            {
                positive.CopyTo(_batchEmbeddings, (uncondItems + i) * _embeddingLength);
            }

            _layoutUncondItems = uncondItems;
            _layoutCondItems = condItems;
            _layoutPositive = positive;
            _layoutNegative = negative;
        }
    }

    private void CopyBlockToBatch(int block, int position)
    {
        Block(_latents, block).CopyTo(_batchLatents.AsSpan(position * _blockLength, _blockLength));
        _batchTimesteps.AsSpan(position * _frames, _frames).Fill(_coefficients[block].Timestep);
    }

    private void FinishBlocks(int first, int count, int uncondBlocks)
    {
        StreamSettings settings = _applied!;
        float g = settings.GuidanceScale;
        float delta = settings.Delta;
        CfgMode mode = settings.CfgMode;
        bool guided = IsGuided(settings);
        bool residual = guided && (mode is CfgMode.Self or CfgMode.Initialize);

        if (_scheduler.Schedule.Config.PredictionType != PredictionType.Epsilon)
        {
            for (int p = 0; p < uncondBlocks + count; p++)
            {
                int block = first + (p < uncondBlocks ? p : p - uncondBlocks);
                _scheduler.Schedule.ConvertToEpsilon(
                    _batchLatents.AsSpan(p * _blockLength, _blockLength),
                    _batchNoise.AsSpan(p * _blockLength, _blockLength),
                    _coefficients[block].Timestep);
            }
        }

        // Newest-last order: block b reads ΔS of block b − 1 from the previous call before that is overwritten.
        for (int c = count - 1; c >= 0; c--)
        {
            int b = first + c;
            ReadOnlySpan<float> latents = _batchLatents.AsSpan((uncondBlocks + c) * _blockLength, _blockLength);
            Span<float> eps = _batchNoise.AsSpan((uncondBlocks + c) * _blockLength, _blockLength);
            Span<float> stock = _stockScratch;
            ref readonly LcmStepCoefficients coefficients = ref _coefficients[b];

            if (!guided)
            {
                // ε = ε_c as it came from the UNet.
            }
            else if (mode == CfgMode.Full)
            {
                // ε = ε_u + g(ε_c − ε_u) = g·ε_c + (1 − g)·ε_u
                LcmScheduler.LinearCombination(eps, g, _batchNoise.AsSpan(c * _blockLength, _blockLength), 1f - g, eps);
            }
            else if (residual)
            {
                if (b == 0 && mode == CfgMode.Initialize)
                {
                    // The real negative ε_u of the newest block (batch position 0).
                    _batchNoise.AsSpan(0, _blockLength).CopyTo(stock);
                }
                else if (b == 0 && _steps == 1)
                {
                    // One step: zero at first, then η₀ plus the ΔS the previous call left (class remarks).
                    if (_hasCarry)
                    {
                        TensorPrimitives.Add(Block(_eta, 0), _carry, stock);
                    }
                    else
                    {
                        stock.Clear();
                    }
                }
                else if (b == 0)
                {
                    Block(_eta, 0).CopyTo(stock);
                }
                else
                {
                    TensorPrimitives.Add(Block(_eta, b), Block(_stockDelta, b - 1), stock);
                }

                // ε = δS + g(ε_c − δS) = g·ε_c + δ(1 − g)·S
                LcmScheduler.LinearCombination(eps, g, stock, delta * (1f - g), eps);
            }

            LcmScheduler.Step(latents, eps, coefficients, Block(_x0, b));

            if (residual && _steps == 1 && mode == CfgMode.Self)
            {
                // ΔS = step(σ₀·S, ε); the reference's next-block scale is 1 for the last (only) block.
                LcmScheduler.LinearCombination(
                    stock,
                    (float)(coefficients.LatentScale * coefficients.Sigma),
                    eps,
                    (float)coefficients.NoiseScale,
                    _carry);
                _hasCarry = true;
            }

            if (residual && b < _steps - 1)
            {
                // ΔS = α_next/σ_next · step(σ_b·S, ε), for the latent that enters block b + 1.
                LcmStepCoefficients next = _coefficients[b + 1];
                double ratio = next.Alpha / next.Sigma;
                LcmScheduler.LinearCombination(
                    stock,
                    (float)(ratio * coefficients.LatentScale * coefficients.Sigma),
                    eps,
                    (float)(ratio * coefficients.NoiseScale),
                    Block(_stockDelta, b));
            }
        }

        for (int c = 0; c < count; c++)
        {
            int b = first + c;
            if (b < _steps - 1)
            {
                if (settings.NoiseMode == NoiseMode.Fresh)
                {
                    FillFreshNoise(b + 1);
                }

                AddNoise(Block(_x0, b), Block(_eta, b + 1), b + 1, Block(_latents, b + 1));
            }
        }
    }

    private void AddNoise(ReadOnlySpan<float> clean, ReadOnlySpan<float> noise, int block, Span<float> destination)
    {
        LcmStepCoefficients c = _coefficients[block];
        LcmScheduler.LinearCombination(clean, (float)c.Alpha, noise, (float)c.Sigma, destination);
    }

    private Span<float> Block(float[] buffer, int block) => buffer.AsSpan(block * _blockLength, _blockLength);

    private void ApplySettings(StreamSettings settings)
    {
        StreamSettings? old = _applied;
        if (ReferenceEquals(old, settings))
        {
            return;
        }

        bool levelsChanged = old is null || !SameIndices(settings.TIndexList, _tIndex);
        bool noiseChanged = old is null || old.Seed != settings.Seed || old.NoiseMode != settings.NoiseMode
            || !SameSeeds(old.SeedBlend, settings.SeedBlend);
        bool stepsChanged = settings.TIndexList.Count != _steps;

        if (levelsChanged)
        {
            _tIndex = [.. settings.TIndexList];
            _coefficients = new LcmStepCoefficients[_tIndex.Length];
            for (int k = 0; k < _tIndex.Length; k++)
            {
                _coefficients[k] = _scheduler.Coefficients(_scheduler.Timestep(_tIndex[k]));
            }
        }

        if (stepsChanged)
        {
            Resize(_tIndex.Length);
        }

        if (noiseChanged || stepsChanged)
        {
            InitializeNoise(settings);
        }

        if (levelsChanged || noiseChanged)
        {
            Array.Clear(_stockDelta);
            _hasCarry = false;
            if (_warm)
            {
                for (int k = 1; k < _steps; k++)
                {
                    AddNoise(Block(_x0, k - 1), Block(_eta, k), k, Block(_latents, k));
                }
            }
        }

        if (old is null || old.CfgMode != settings.CfgMode)
        {
            Array.Clear(_stockDelta);
            _hasCarry = false;
        }

        int maxItems = settings.CfgMode switch
        {
            CfgMode.Full => 2 * _steps,
            CfgMode.Initialize => _steps + 1,
            _ => _steps,
        } * _frames;
        if (_batchTimesteps.Length < maxItems)
        {
            _batchLatents = new float[maxItems * _itemLength];
            _batchNoise = new float[maxItems * _itemLength];
            _batchTimesteps = new float[maxItems];
            _layoutUncondItems = -1;
        }

        int embeddingLength = settings.PromptEmbedding.Length;
        if (embeddingLength != _embeddingLength || _batchEmbeddings.Length < _batchTimesteps.Length * embeddingLength)
        {
            _embeddingLength = embeddingLength;
            _batchEmbeddings = new float[_batchTimesteps.Length * embeddingLength];
            _layoutUncondItems = -1;
        }

        _applied = settings;
    }

    /// <summary>Reallocates the per-block buffers for a new step count, keeping the newest clean estimates.</summary>
    private void Resize(int steps)
    {
        float[] oldX0 = _x0;
        int oldSteps = _steps;
        _steps = steps;
        _eta = new float[steps * _blockLength];
        _latents = new float[steps * _blockLength];
        _x0 = new float[steps * _blockLength];
        _stockDelta = new float[steps * _blockLength];
        if (_warm && oldSteps > 0)
        {
            // Frame blocks in flight keep their order; extra (older) positions repeat the oldest one.
            for (int k = 0; k < steps; k++)
            {
                int source = Math.Min(k, oldSteps - 1);
                oldX0.AsSpan(source * _blockLength, _blockLength).CopyTo(Block(_x0, k));
            }
        }
    }

    private void InitializeNoise(StreamSettings settings)
    {
        (long Seed, float Weight)[] seeds = SeedsOf(settings);
        double norm = 0;
        foreach ((_, float weight) in seeds)
        {
            norm += (double)weight * weight;
        }

        // Independent unit Gaussians mixed with weights w keep unit variance after dividing by √Σw².
        _noiseWeights = new float[seeds.Length];
        for (int i = 0; i < seeds.Length; i++)
        {
            _noiseWeights[i] = (float)(seeds[i].Weight / Math.Sqrt(norm));
        }

        // Each block draws from its own (seed, block) sequence, so η_k does not depend on n.
        for (int k = 0; k < _steps; k++)
        {
            Span<float> block = Block(_eta, k);
            block.Clear();
            for (int i = 0; i < seeds.Length; i++)
            {
                new GaussianNoiseGenerator(seeds[i].Seed, k).Fill(_noiseScratch);
                TensorPrimitives.MultiplyAdd(_noiseScratch, _noiseWeights[i], block, block);
            }
        }

        _freshGenerators = new GaussianNoiseGenerator[seeds.Length];
        for (int i = 0; i < seeds.Length; i++)
        {
            _freshGenerators[i] = new GaussianNoiseGenerator(seeds[i].Seed, -1);
        }
    }

    private void FillFreshNoise(int block)
    {
        Span<float> destination = Block(_eta, block);
        destination.Clear();
        for (int i = 0; i < _freshGenerators.Length; i++)
        {
            _freshGenerators[i].Fill(_noiseScratch);
            TensorPrimitives.MultiplyAdd(_noiseScratch, _noiseWeights[i], destination, destination);
        }
    }

    /// <summary>Whether guidance acts: g &gt; 1 and a CFG mode other than none (as the reference).</summary>
    private static bool IsGuided(StreamSettings settings) => settings.GuidanceScale > 1f && settings.CfgMode != CfgMode.None;

    private static (long Seed, float Weight)[] SeedsOf(StreamSettings settings)
    {
        if (settings.SeedBlend is null)
        {
            return [(settings.Seed, 1f)];
        }

        var seeds = new (long, float)[settings.SeedBlend.Count];
        for (int i = 0; i < seeds.Length; i++)
        {
            seeds[i] = (settings.SeedBlend[i].Seed, settings.SeedBlend[i].Weight);
        }

        return seeds;
    }

    private static bool SameIndices(IReadOnlyList<int> list, int[] applied)
    {
        if (list.Count != applied.Length)
        {
            return false;
        }

        for (int i = 0; i < applied.Length; i++)
        {
            if (list[i] != applied[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameSeeds(IReadOnlyList<WeightedSeed>? a, IReadOnlyList<WeightedSeed>? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private void Validate(StreamSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int hidden = _predictor.HiddenSize;
        float[]? positive = settings.PromptEmbedding;
        if (positive is null || positive.Length == 0 || (hidden > 0 && positive.Length % hidden != 0))
        {
            throw new ArgumentException($"The prompt embedding must be a non-empty [tokens, {hidden}] array.", nameof(settings));
        }

        if (settings.NegativePromptEmbedding is { } negative && negative.Length != positive.Length)
        {
            throw new ArgumentException(
                $"The negative prompt embedding has {negative.Length} floats; the prompt embedding has {positive.Length}.", nameof(settings));
        }

        if (settings.CfgMode is CfgMode.Full or CfgMode.Initialize && settings.NegativePromptEmbedding is null)
        {
            throw new ArgumentException($"CFG mode {settings.CfgMode} needs a negative prompt embedding (encode \"\" if there is none).", nameof(settings));
        }

        IReadOnlyList<int>? indices = settings.TIndexList;
        if (indices is null || indices.Count == 0)
        {
            throw new ArgumentException("The t_index list must not be empty.", nameof(settings));
        }

        for (int i = 0; i < indices.Count; i++)
        {
            if (indices[i] < 0 || indices[i] >= _scheduler.OriginalSteps || (i > 0 && indices[i] <= indices[i - 1]))
            {
                throw new ArgumentException(
                    $"The t_index list must be strictly increasing within [0, {_scheduler.OriginalSteps - 1}]; got [{string.Join(", ", indices)}].",
                    nameof(settings));
            }
        }

        if (!float.IsFinite(settings.GuidanceScale) || !float.IsFinite(settings.Delta))
        {
            throw new ArgumentException("Guidance scale and delta must be finite.", nameof(settings));
        }

        if (settings.SeedBlend is { } blend)
        {
            double norm = 0;
            foreach (WeightedSeed seed in blend)
            {
                if (!float.IsFinite(seed.Weight))
                {
                    throw new ArgumentException("Seed weights must be finite.", nameof(settings));
                }

                norm += (double)seed.Weight * seed.Weight;
            }

            if (!(norm > 0))
            {
                throw new ArgumentException("A seed blend needs at least one non-zero weight.", nameof(settings));
            }
        }
    }
}
