using System.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.LongVideo;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>
/// The gRPC service <c>streamdiffusion.v1.StreamDiffusion</c>: validates at the edge, admits sessions, and hands
/// frames to the registered <see cref="IStreamProcessorFactory"/>.
/// </summary>
public sealed class StreamDiffusionService : StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionBase
{
    private static readonly string s_serverVersion =
        typeof(StreamDiffusionService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly IModelCatalog _catalog;
    private readonly Diffusion.ModelRuntimeRegistry? _runtimes;
    private readonly LongVideoSessions? _videos;
    private readonly IStreamProcessorFactory _processors;
    private readonly StreamSessionRunner _sessions;
    private readonly SessionRegistry _registry;
    private readonly HostMetrics _metrics;
    private readonly LiveSessions _live;
    private readonly LimitsOptions _limits;
    private readonly ILogger _sessionLogger;

    /// <summary>Creates the service (one per call, as gRPC does).</summary>
    public StreamDiffusionService(
        IModelCatalog catalog,
        IStreamProcessorFactory processors,
        StreamSessionRunner sessions,
        SessionRegistry registry,
        HostMetrics metrics,
        LiveSessions live,
        IOptions<LimitsOptions> limits,
        ILoggerFactory loggerFactory,
        Diffusion.ModelRuntimeRegistry? runtimes = null,
        LongVideoSessions? videos = null)
    {
        _runtimes = runtimes;
        _videos = videos;
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _catalog = catalog;
        _processors = processors;
        _sessions = sessions;
        _registry = registry;
        _metrics = metrics;
        _live = live;
        _limits = limits.Value;
        _sessionLogger = loggerFactory.CreateLogger("StreamDiffusion.StreamHost.Sessions.StreamSession");
    }

    /// <inheritdoc />
    public override Task Stream(
        IAsyncStreamReader<StreamRequest> requestStream, IServerStreamWriter<StreamResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        return _sessions.RunAsync(new GrpcSessionTransport(requestStream, responseStream, context));
    }

    /// <inheritdoc />
    public override async Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var model = Resolve(request.Model);
        var settings = SessionSettingsValidator.FromConfig(SessionSettingsValidator.ToSessionConfig(request), model, _limits, fieldPrefix: string.Empty);
        var image = request.Image ?? new InputFrame();
        var error = FrameValidator.Validate(image, settings.Mode, _limits);
        if (error is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error.Replace("frame.", "image.", StringComparison.Ordinal)));
        }

        using var lease = _registry.Acquire();
        using var releaseOnCancel = lease.ReleaseOnCancel(context.CancellationToken);
        _metrics.FramesIn.Inc();
        var processor = await _processors.CreateAsync(model, settings, context.CancellationToken).ConfigureAwait(false);
        await using (processor.ConfigureAwait(false))
        {
            var raw = image.Format is FrameFormat.Rgb24 or FrameFormat.Bgr24;
            var input = new FrameInput(image.Data.Memory, image.Format, image.Width, image.Height,
                raw ? FrameValidator.EffectiveStride(image) : 0, image.Sequence);
            ProcessedFrame result;
            try
            {
                result = await processor.ProcessAsync(input, context.CancellationToken).ConfigureAwait(false);
            }
            catch (FrameRejectedException ex)
            {
                _metrics.FramesFailed.Inc();
                throw new RpcException(new Status(StatusCode.InvalidArgument, "image: " + ex.Message));
            }

            _metrics.FramesOut.Inc();
            return new GenerateResponse
            {
                // Copied: the processor's buffer goes away with it.
                Data = Google.Protobuf.ByteString.CopyFrom(result.Data.Span),
                Format = result.Format,
                Width = result.Width,
                Height = result.Height,
                Timings = new FrameTimings
                {
                    DecodeMs = (float)result.DecodeMs,
                    DenoiseMs = (float)result.DenoiseMs,
                    EncodeMs = (float)result.EncodeMs,
                    TotalMs = (float)(result.DecodeMs + result.DenoiseMs + result.EncodeMs),
                },
            };
        }
    }

    /// <inheritdoc />
    public override async Task GenerateVideo(GenerateVideoRequest request, IServerStreamWriter<VideoFrame> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var model = Resolve(request.Model);
        var (options, settings) = LongVideoRequestValidator.Validate(request, model, _limits);
        if (_runtimes is null || _videos is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "GenerateVideo needs a diffusion model; this host runs without one"));
        }

        using var lease = _registry.Acquire();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lease.ShutdownToken);
        var runtime = await _runtimes.GetAsync(model, cancellation.Token).ConfigureAwait(false);
        using var live = _live.Open(lease.Id, settings, GrpcSessionTransport.IdentityOf(context));
        var call = new LongVideoCall(runtime, options, settings, lease.Id, responseStream, live, _metrics, _videos, _sessionLogger);
        await call.RunAsync(request.NumFrames, cancellation.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<VideoControlResponse> ControlVideo(VideoControlRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw SessionSettingsValidator.Invalid("prompt", "empty prompt");
        }

        // Another key's session is "not running", as if it did not exist (admin keys control all).
        if (_videos is null || !_videos.TryGet(request.SessionId, out var generator, out var owner)
            || (Security.ClientIdentity.Of(context.GetHttpContext()) is { } caller && !caller.CanAccess(owner)))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"session_id: no long-video session '{request.SessionId}' is running"));
        }

        return ChangeAsync(generator, request.Prompt, context.CancellationToken);

        static async Task<VideoControlResponse> ChangeAsync(Pipeline.LongVideo.LongVideoGenerator generator, string prompt, CancellationToken cancellationToken)
        {
            await generator.ChangePromptAsync(prompt, cancellationToken).ConfigureAwait(false);
            return new VideoControlResponse
            {
                AppliesFromFrame = (ulong)generator.FramesEmitted,
                ArrivalFrames = (uint)generator.Queue.Schedule.Levels,
            };
        }
    }

    /// <inheritdoc />
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
        => Task.FromResult(ModelInfoBuilder.Build(_catalog, _runtimes));

    /// <inheritdoc />
    public override Task<Capabilities> GetCapabilities(GetCapabilitiesRequest request, ServerCallContext context)
    {
        var caps = new Capabilities
        {
            MaxSessions = _registry.MaxSessions,
            ActiveSessions = _registry.ActiveCount,
            MaxWidth = _limits.MaxWidth,
            MaxHeight = _limits.MaxHeight,
            MaxFrameBytes = _limits.MaxFrameBytes,
            MaxMessageBytes = _limits.MaxMessageBytes,
            SizeMultiple = SessionSettingsValidator.SizeMultiple,
            NumInferenceSteps = SessionSettingsValidator.NumInferenceSteps,
            MaxConsecutiveBadFrames = _limits.MaxConsecutiveBadFrames,
            Processor = _processors.Name,
            ServerVersion = s_serverVersion,
        };
        caps.InputFormats.Add([FrameFormat.Jpeg, FrameFormat.Png, FrameFormat.Rgb24, FrameFormat.Bgr24]);
        caps.OutputEncodings.Add([OutputEncoding.Jpeg, OutputEncoding.Png, OutputEncoding.Raw]);
        caps.CfgTypes.Add([CfgType.None, CfgType.Full, CfgType.Self, CfgType.Initialize]);
        caps.Modes.Add([GenerationMode.Img2Img, GenerationMode.Txt2Img]);
        return Task.FromResult(caps);
    }

    private ModelDescriptor Resolve(string name) => _catalog.ResolveOrThrow(name);
}
