using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace StreamDiffusion.Pipeline.Models.Onnx;

/// <summary>
/// Builds ONNX Runtime session options for the configured execution provider and says which
/// provider a session will really run on. A provider missing from this ONNX Runtime build is an
/// error naming what is missing, unless fallback to CPU was configured (then it is logged).
/// </summary>
public static class ExecutionProviderFactory
{
    private static readonly Lazy<IReadOnlySet<string>> s_availableProviders =
        new(() => new HashSet<string>(OrtEnv.Instance().GetAvailableProviders(), StringComparer.Ordinal));

    /// <summary>Provider names this ONNX Runtime build offers, e.g. CPUExecutionProvider.</summary>
    public static IReadOnlySet<string> Available => s_availableProviders.Value;

    /// <summary>ONNX Runtime's name for a provider.</summary>
    public static string OrtName(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.Cpu => "CPUExecutionProvider",
        ExecutionProvider.Cuda => "CUDAExecutionProvider",
        ExecutionProvider.TensorRT => "TensorrtExecutionProvider",
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    /// <summary>
    /// Decides the provider that will be used: the requested one when this build has it, CPU when
    /// fallback is allowed, otherwise throws <see cref="ModelPackException"/>.
    /// </summary>
    public static ExecutionProvider Resolve(ModelPackOptions options, ILogger? logger = null, IReadOnlySet<string>? available = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider == ExecutionProvider.Cpu)
        {
            // Before touching the environment: CPU sessions may still need to create it with global thread pools.
            return ExecutionProvider.Cpu;
        }

        available ??= Available;

        var missing = new List<string>();
        if (!available.Contains(OrtName(options.Provider)))
        {
            missing.Add(OrtName(options.Provider));
        }

        // TensorRT hands unsupported nodes to CUDA, so it needs both.
        if (options.Provider == ExecutionProvider.TensorRT && !available.Contains(OrtName(ExecutionProvider.Cuda)))
        {
            missing.Add(OrtName(ExecutionProvider.Cuda));
        }

        if (missing.Count == 0)
        {
            return options.Provider;
        }

        var message =
            $"Execution provider {options.Provider} was requested but this ONNX Runtime build lacks {string.Join(" and ", missing)} " +
            $"(available: {string.Join(", ", available.Order(StringComparer.Ordinal))}). " +
            "Use the GPU build (Microsoft.ML.OnnxRuntime.Gpu, CUDA 13 and cuDNN 9" +
            (options.Provider == ExecutionProvider.TensorRT ? ", TensorRT 10" : string.Empty) +
            "), set the provider to Cpu, or allow fallback to CPU.";
        if (!options.AllowProviderFallback)
        {
            throw new ModelPackException(message);
        }

        logger?.LogWarning("{Message} Falling back to CPU as configured.", message);
        return ExecutionProvider.Cpu;
    }

    /// <summary>Session options for one ONNX file on the resolved provider.</summary>
    public static SessionOptions Create(ExecutionProvider provider, ModelPackOptions options, string modelFile, string? tensorRTProfile = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (provider == ExecutionProvider.Cpu && options.ThreadPools == CpuThreadPools.Global)
        {
            // Before the first SessionOptions: that would create the environment without the pool.
            OrtGlobalThreadPool.Ensure(options);
        }

        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (provider == ExecutionProvider.Cpu)
        {
            ConfigureCpuThreads(sessionOptions, options);
        }
        else if (options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        }

        try
        {
            switch (provider)
            {
                case ExecutionProvider.Cuda:
                    sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
                    break;
                case ExecutionProvider.TensorRT:
                    AppendTensorRT(sessionOptions, options, modelFile, tensorRTProfile);
                    sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
                    break;
                default:
                    break;
            }
        }
        catch (OnnxRuntimeException ex)
        {
            sessionOptions.Dispose();
            throw new ModelPackException($"{modelFile}: could not enable {provider}: {ex.Message}", ex);
        }

        return sessionOptions;
    }

    /// <summary>Name and value of the session config entry that turns intra-op spinning on or off.</summary>
    internal static (string Key, string Value) SpinningEntry(bool allowSpinning) => ("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");

    // The models of a pack run one after another on the same cores, so an idle pool must not keep
    // them busy: either every session's pool stops spinning, or all share the one global pool.
    private static void ConfigureCpuThreads(SessionOptions sessionOptions, ModelPackOptions options)
    {
        if (options.ThreadPools == CpuThreadPools.Global)
        {
            sessionOptions.DisablePerSessionThreads();
            return;
        }

        if (options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        }

        var (key, value) = SpinningEntry(options.AllowSpinning);
        sessionOptions.AddSessionConfigEntry(key, value);
    }

    private static void AppendTensorRT(SessionOptions sessionOptions, ModelPackOptions options, string modelFile, string? profile)
    {
        var trt = options.TensorRT;

        // Engines are keyed by the model file's identity and the static profile, so a changed model
        // or shape never reuses a stale engine.
        var info = new FileInfo(modelFile);
        var key = $"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}-b{trt.MaxBatch}-s{trt.ImageSize}";
        var cache = Path.Combine(trt.CachePath, Path.GetFileName(Path.GetDirectoryName(modelFile)) ?? "model", key);
        Directory.CreateDirectory(cache);
        using var trtOptions = new OrtTensorRTProviderOptions();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = trt.Fp16 ? "1" : "0",
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = cache,
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = trt.CachePath,
            ["trt_max_workspace_size"] = trt.MaxWorkspaceBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (profile is not null)
        {
            // One static profile (min = opt = max) for the configured batch and resolution.
            settings["trt_profile_min_shapes"] = profile;
            settings["trt_profile_opt_shapes"] = profile;
            settings["trt_profile_max_shapes"] = profile;
        }

        trtOptions.UpdateOptions(settings);
        sessionOptions.AppendExecutionProvider_Tensorrt(trtOptions);
    }
}
