using System.Collections.Concurrent;
using System.Globalization;
using StreamDiffusion.Pipeline.Batching;
using StreamDiffusion.Pipeline.Models;
using StreamDiffusion.Pipeline.Streaming;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Diffusion;

/// <summary>
/// Loads each configured model pack once and keeps its <see cref="ModelRuntime"/> (sessions and
/// engines) for the life of the host; every session on a model shares it. A descriptor without
/// a path is the embedded default: a synthetic pack generated into the cache on first use.
/// </summary>
/// <remarks>
/// A model that fails to load (or to warm up) is disabled, not retried: it stays listed with its reason
/// (<see cref="TryGetLoadError"/>), and sessions asking for it get FAILED_PRECONDITION naming the reason, while the
/// other models serve.
/// </remarks>
public sealed partial class ModelRuntimeRegistry(
    IModelCatalog catalog,
    ILogger<ModelRuntimeRegistry> logger,
    IModelComponentDecorator? decorator = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ModelRuntime>>> _runtimes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Loads every configured model now. A model that fails is logged and disabled; only when every model fails
    /// does the start fail (with the first failure), since such a host could serve nothing.
    /// </summary>
    public async Task PreloadAsync(CancellationToken cancellationToken)
    {
        Exception? first = null;
        var loaded = 0;
        foreach (var model in catalog.Models)
        {
            try
            {
                await GetOrLoad(model).WaitAsync(cancellationToken).ConfigureAwait(false);
                loaded++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                first ??= ex;
                LogModelDisabled(model.Name, ModelLoadFailure.Describe(ex), ex);
            }
        }

        if (loaded == 0 && first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>The runtime of a model, loading it on first use.</summary>
    /// <exception cref="Grpc.Core.RpcException">FAILED_PRECONDITION when the model failed to load.</exception>
    public async Task<ModelRuntime> GetAsync(ModelDescriptor model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var load = GetOrLoad(model);
        try
        {
            return await load.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (load.IsFaulted || load.IsCanceled)
        {
            throw ModelLoadFailure.Unavailable(model.Name, ModelLoadFailure.Describe(ex));
        }
    }

    /// <summary>Why a model failed to load, when it did (it is then disabled).</summary>
    public bool TryGetLoadError(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? reason)
    {
        reason = _runtimes.TryGetValue(name, out var lazy) && lazy.IsValueCreated && lazy.Value.IsFaulted
            ? ModelLoadFailure.Describe(lazy.Value.Exception!)
            : null;
        return reason is not null;
    }

    /// <summary>The runtime of a model that has finished loading, without triggering a load.</summary>
    public bool TryGetLoaded(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelRuntime? runtime)
    {
        runtime = _runtimes.TryGetValue(name, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully ? lazy.Value.Result : null;
        return runtime is not null;
    }

    /// <summary>The loaded runtimes whose engines stopped serving, with the reason (the host then reports NOT_SERVING).</summary>
    public IEnumerable<(string Model, string Reason)> FaultedEngines()
    {
        foreach (var (name, lazy) in _runtimes)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && lazy.Value.Result.FaultReason is { } reason)
            {
                yield return (name, reason);
            }
        }
    }

    private Task<ModelRuntime> GetOrLoad(ModelDescriptor model) =>
        _runtimes.GetOrAdd(model.Name, _ => new Lazy<Task<ModelRuntime>>(() => Task.Run(() => LoadAsync(model), CancellationToken.None))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _runtimes.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Pack options from a model's configuration (Provider plus the Options dictionary).</summary>
    internal static ModelPackOptions ToPackOptions(ModelDescriptor model)
    {
        var provider = model.Provider.ToUpperInvariant() switch
        {
            "" or "CPU" => ExecutionProvider.Cpu,
            "CUDA" => ExecutionProvider.Cuda,
            "TENSORRT" or "TRT" => ExecutionProvider.TensorRT,
            _ => throw new ModelPackException($"Models:Packs:{model.Name}:Provider '{model.Provider}' is not one of CPU, CUDA, TensorRT"),
        };
        var options = new ModelPackOptions { Provider = provider };
        var trt = options.TensorRT with { ImageSize = model.ImageSize };
        foreach (var (key, value) in model.Options)
        {
            options = key.ToUpperInvariant() switch
            {
                "ALLOWPROVIDERFALLBACK" => options with { AllowProviderFallback = ParseBool(model, key, value) },
                "DEVICEID" => options with { DeviceId = ParseInt(model, key, value) },
                "INTRAOPTHREADS" => options with { IntraOpThreads = ParseInt(model, key, value) },
                "TAESDIMAGERANGE" => options with { TaesdImageRange = ParseTaesdRange(model, key, value) },
                "PREFERTINYAUTOENCODER" => options with { PreferTinyAutoencoder = ParseBool(model, key, value) },
                "TIMESTEPCOND" or "TIMESTEPCONDGUIDANCE" => options with { TimestepCondGuidance = ParseTimestepCond(model, key, value) },
                "ALLOWSPINNING" => options with { AllowSpinning = ParseBool(model, key, value) },
                "THREADPOOLS" => options with { ThreadPools = ParseThreadPools(model, key, value) },
                "TENSORRTFP16" => Set(options, trt = trt with { Fp16 = ParseBool(model, key, value) }),
                "TENSORRTCACHEPATH" => Set(options, trt = trt with { CachePath = value }),
                "TENSORRTMAXBATCH" => Set(options, trt = trt with { MaxBatch = ParseInt(model, key, value) }),

                // Engine settings, read by ToBatchingOptions.
                "WORKERS" or "MAXBATCH" or "MAXWORKERRESTARTS" => options,
                _ => throw new ModelPackException(
                    $"Models:Packs:{model.Name}:Options:{key} is not a known option (AllowProviderFallback, DeviceId, IntraOpThreads, AllowSpinning, ThreadPools, PreferTinyAutoencoder, TaesdImageRange, TimestepCond, TensorRTFp16, TensorRTCachePath, TensorRTMaxBatch, Workers, MaxBatch, MaxWorkerRestarts)"),
            };
        }

        return options with { TensorRT = trt };

        static ModelPackOptions Set(ModelPackOptions o, TensorRTOptions t) => o with { TensorRT = t };
    }

    /// <summary>
    /// Engine settings from a model's Options dictionary: <c>Workers</c> (concurrent model calls,
    /// 1..16), <c>MaxBatch</c> (items per call), <c>MaxWorkerRestarts</c> (dead workers replaced in a row) and
    /// <c>RunAloneInline</c> (a lone client's calls on its own thread), over <see cref="BatchingOptions.ForProvider"/> of the
    /// provider the pack actually runs on (four workers on the CPU, one on CUDA and TensorRT).
    /// </summary>
    internal static BatchingOptions ToBatchingOptions(ModelDescriptor model, ExecutionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = BatchingOptions.ForProvider(provider);
        foreach (var (key, value) in model.Options)
        {
            options = key.ToUpperInvariant() switch
            {
                "WORKERS" => options with { Workers = ParseInt(model, key, value) },
                "MAXBATCH" => options with { MaxBatch = ParseInt(model, key, value) },
                "MAXWORKERRESTARTS" => options with { MaxWorkerRestarts = ParseInt(model, key, value) },
                "RUNALONEINLINE" => options with { RunAloneInline = ParseBool(model, key, value) },
                _ => options,
            };
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ModelPackException($"Models:Packs:{model.Name}:Options:{ex.ParamName} is out of range (Workers 1..16, MaxBatch at least 1, MaxWorkerRestarts at least 0): {ex.ActualValue}", ex);
        }

        return options;
    }

    private static float? ParseTimestepCond(ModelDescriptor model, string key, string value)
    {
        try
        {
            return TimestepCond.Parse(value);
        }
        catch (FormatException ex)
        {
            throw new ModelPackException($"Models:Packs:{model.Name}:Options:{key}: {ex.Message}", ex);
        }
    }

    private static TaesdImageRange ParseTaesdRange(ModelDescriptor model, string key, string value) => value.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "AUTO" => TaesdImageRange.Auto,
        "[0,1]" or "0,1" or "ZEROTOONE" => TaesdImageRange.ZeroToOne,
        "[-1,1]" or "-1,1" or "MINUSONETOONE" => TaesdImageRange.MinusOneToOne,
        _ => throw new ModelPackException($"Models:Packs:{model.Name}:Options:{key} must be Auto, [0,1] or [-1,1], got '{value}'"),
    };

    private static CpuThreadPools ParseThreadPools(ModelDescriptor model, string key, string value) =>
        Enum.TryParse<CpuThreadPools>(value, ignoreCase: true, out var result) && Enum.IsDefined(result)
            ? result
            : throw new ModelPackException($"Models:Packs:{model.Name}:Options:{key} must be PerSession or Global, got '{value}'");

    private static bool ParseBool(ModelDescriptor model, string key, string value) =>
        bool.TryParse(value, out var result) ? result : throw new ModelPackException($"Models:Packs:{model.Name}:Options:{key} must be true or false, got '{value}'");

    private static int ParseInt(ModelDescriptor model, string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) ? result : throw new ModelPackException($"Models:Packs:{model.Name}:Options:{key} must be an integer, got '{value}'");

    private async Task<ModelRuntime> LoadAsync(ModelDescriptor model)
    {
        var directory = string.IsNullOrWhiteSpace(model.Path) ? DefaultModelPack.EnsureCreated(logger: logger) : model.Path;
        var pack = ModelPack.Load(directory, ToPackOptions(model), logger);
        BatchingOptions batching;
        try
        {
            batching = ToBatchingOptions(model, pack.Provider);
        }
        catch
        {
            pack.Dispose();
            throw;
        }

        logger.LogInformation(
            "Model {Name} runs on {Provider} ({Family}, {Codec}); engines: {Workers} worker(s), max batch {MaxBatch}",
            model.Name,
            pack.Provider,
            pack.Family,
            pack.Codec.Name,
            batching.Workers,
            batching.MaxBatch);
        var runtime = decorator is null
            ? new ModelRuntime(pack, batching)
            : new ModelRuntime(pack, decorator.DecorateDenoiser(model.Name, pack.Unet), decorator.DecorateCodec(model.Name, pack.Codec), pack.TextEncoder.Encode, batching);
        try
        {
            await WarmUpAsync(runtime, model.ImageSize > 0 ? model.ImageSize : pack.ImageSize).ConfigureAwait(false);
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return runtime;
    }

    /// <summary>
    /// Runs one frame through every model of the pack at the default session size, so the first
    /// live session does not pay ONNX Runtime's first-run costs (a few hundred ms of stalled frames).
    /// </summary>
    private async Task WarmUpAsync(ModelRuntime runtime, int size)
    {
        if (runtime.Pack.Unet.IsVideo)
        {
            // A video denoiser serves long video only; its first GenerateVideo call warms it.
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var options = new ImageStreamOptions
        {
            Width = size,
            Height = size,
            TIndexList = [45],
            Cfg = CfgMode.None,
            Filter = new Pipeline.Streaming.SimilarityFilterSettings(Enabled: false),
        };
        var stream = await ImageStream.CreateAsync(runtime, options).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var frame = new float[3 * size * size];
            await stream.ProcessTensorsAsync(frame, new float[frame.Length]).ConfigureAwait(false);
        }

        logger.LogInformation("Warmed up at {Size}x{Size} in {Milliseconds:0} ms", size, size, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Name} failed to load and is disabled (the other models serve): {Reason}")]
    private partial void LogModelDisabled(string name, string reason, Exception exception);
}
