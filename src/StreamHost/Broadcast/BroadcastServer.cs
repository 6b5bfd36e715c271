using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// The host's broadcast side: stream keys with their session configuration, the SRT ingest listener (one UDP port,
/// callers routed by stream id, one live broadcast per key), the RTMP ingest (<see cref="RtmpListener"/>) and the SRT output listener (players name the key the
/// same way). Wrong keys, busy keys and a full host are refused in the SRT handshake; admitted broadcasts run as
/// <see cref="BroadcastSession"/>s until their broadcaster leaves or the host stops.
/// </summary>
public sealed partial class BroadcastServer : IHostedService, IDisposable
{
    private const int MaxKeyLength = 128;

    private readonly BroadcastOptions _options;
    private readonly BroadcastMetrics _metrics;
    private readonly SessionRegistry _sessions;
    private readonly IModelCatalog _catalog;
    private readonly LimitsOptions _limits;
    private readonly IServiceProvider _services;
    private readonly ILogger<BroadcastServer> _logger;
    private readonly ConcurrentDictionary<string, SessionConfig> _profiles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BroadcastSession> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lastOutcome = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Thread> _acceptThreads = [];
    private SrtListener? _ingest;
    private SrtListener? _output;
    private RtmpListener? _rtmp;

    public BroadcastServer(
        IOptions<BroadcastOptions> options,
        BroadcastMetrics metrics,
        SessionRegistry sessions,
        IModelCatalog catalog,
        IOptions<LimitsOptions> limits,
        IServiceProvider services,
        ILogger<BroadcastServer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(limits);
        _options = options.Value;
        _metrics = metrics;
        _sessions = sessions;
        _catalog = catalog;
        _limits = limits.Value;
        _services = services;
        _logger = logger;
        foreach (var (key, profile) in _options.Keys)
        {
            var error = CheckKey(key) ?? Validate(profile.ToSessionConfig());
            if (error is not null)
            {
                throw new InvalidOperationException($"Broadcast:Keys:{key}: {error}");
            }

            _profiles[key] = profile.ToSessionConfig();
        }
    }

    /// <summary>The options the server runs with.</summary>
    public BroadcastOptions Options => _options;

    /// <summary>Whether broadcasting is on.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>UDP port of the SRT ingest listener; -1 when off.</summary>
    public int SrtPort => _ingest?.Port ?? -1;

    /// <summary>UDP port of the SRT output listener; -1 when off.</summary>
    public int SrtOutputPort => _output?.Port ?? -1;

    /// <summary>TCP port of the RTMP ingest; -1 when off.</summary>
    public int RtmpPort => _rtmp?.Port ?? -1;

    /// <summary>The configured keys and their configuration, by key.</summary>
    public IReadOnlyDictionary<string, SessionConfig> Profiles => _profiles;

    /// <summary>A key's running broadcast.</summary>
    internal bool TryGetLive(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out BroadcastSession session) =>
        _live.TryGetValue(key, out session);

    /// <summary>How a key's last broadcast ended.</summary>
    public string? LastOutcome(string key) => _lastOutcome.TryGetValue(key, out var outcome) ? outcome : null;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        if (!SrtNative.IsAvailable())
        {
            throw new InvalidOperationException("Broadcast:Enabled is set but libsrt is not installed (Debian: apt-get install libsrt1.5-gnutls)");
        }

        if (_options.HlsEnabled && (_options.HlsSegmentDuration <= TimeSpan.Zero || _options.HlsListSize < 2))
        {
            throw new InvalidOperationException(
                $"Broadcast:HlsSegmentDuration must be positive and Broadcast:HlsListSize at least 2 (got {_options.HlsSegmentDuration}, {_options.HlsListSize})");
        }

        var address = IPAddress.TryParse(_options.BindAddress, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Broadcast:BindAddress '{_options.BindAddress}' is not an IPv4 address");
        var receiveTimeoutMs = (int)Math.Clamp(_options.IdleTimeout.TotalMilliseconds / 5, 50, 1000);
        if (_options.SrtPort >= 0)
        {
            _ingest = new SrtListener(new IPEndPoint(address, _options.SrtPort), AdmitBroadcaster, receiveTimeoutMs, _options.SrtLatencyMs);
            StartAcceptLoop(_ingest, OnBroadcaster, "srt-ingest-accept");
        }

        if (_options.SrtOutputPort >= 0)
        {
            _output = new SrtListener(new IPEndPoint(address, _options.SrtOutputPort), AdmitViewer, receiveTimeoutMs, _options.SrtLatencyMs);
            StartAcceptLoop(_output, OnViewer, "srt-output-accept");
        }

        if (_options.RtmpPort >= 0)
        {
            _rtmp = new RtmpListener(new IPEndPoint(address, _options.RtmpPort), _options, AdmitBroadcaster, StartSession, _logger);
            _rtmp.Start();
        }

        LogListening(_options.BindAddress, SrtPort, RtmpPort, SrtOutputPort, _profiles.Count);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _ingest?.Dispose();
        _output?.Dispose();
        if (_rtmp is not null)
        {
            await _rtmp.StopAsync().ConfigureAwait(false);
        }

        foreach (var thread in _acceptThreads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        var running = _live.Values.Select(s => s.Completion).OfType<Task>().ToArray();
        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out; the sessions' own cleanup still kills their processes.
        }
    }

    public void Dispose()
    {
        _ingest?.Dispose();
        _output?.Dispose();
        _rtmp?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Null when <paramref name="key"/> can name a broadcast, else why not.</summary>
    public static string? CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > MaxKeyLength)
        {
            return $"a stream key has 1 to {MaxKeyLength} characters";
        }

        return key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : "a stream key may hold only ASCII letters, digits, '-', '_' and '.'";
    }

    /// <summary>Null when <paramref name="config"/> would start a session on this host, else the reason.</summary>
    public string? Validate(SessionConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!_catalog.TryResolve(config.Model, out var model))
        {
            return $"model '{config.Model}' is not configured; available: {string.Join(", ", _catalog.Models.Select(m => m.Name))}";
        }

        if (config.Mode == GenerationMode.Txt2Img)
        {
            return "mode: a broadcast transforms its input video, so it is img2img";
        }

        try
        {
            SessionSettingsValidator.FromConfig(config, model, _limits);
            return null;
        }
        catch (Grpc.Core.RpcException ex)
        {
            return ex.Status.Detail;
        }
    }

    /// <summary>Creates or replaces a key's configuration (used by its next broadcast). Validate first.</summary>
    public bool Put(string key, SessionConfig config)
    {
        var created = !_profiles.ContainsKey(key);
        _profiles[key] = config;
        return created;
    }

    /// <summary>
    /// Applies a live change to a key: merged into its configuration and, when it is live, sent to its session.
    /// Null on success, else the reason (unknown key, invalid change, too many changes queued).
    /// </summary>
    public string? Control(string key, ControlUpdate update, out bool appliedLive)
    {
        ArgumentNullException.ThrowIfNull(update);
        appliedLive = false;
        if (!_profiles.TryGetValue(key, out var current))
        {
            return $"no stream key '{key}'";
        }

        try
        {
            _catalog.TryResolve(current.Model, out var model);
            SessionSettingsValidator.ApplyControl(SessionSettingsValidator.FromConfig(current, model!, _limits), update);
        }
        catch (Grpc.Core.RpcException ex)
        {
            return ex.Status.Detail;
        }

        _profiles[key] = Merge(current, update);
        if (_live.TryGetValue(key, out var session))
        {
            if (!session.TryControl(update))
            {
                return "too many changes queued for the live broadcast; try again";
            }

            appliedLive = true;
        }

        return null;
    }

    /// <summary>Removes a key; its live broadcast, if any, ends. False if there was no such key.</summary>
    public bool Delete(string key)
    {
        var removed = _profiles.TryRemove(key, out _);
        if (_live.TryGetValue(key, out var session))
        {
            session.Stop("key deleted");
        }

        return removed;
    }

    private static SessionConfig Merge(SessionConfig current, ControlUpdate update)
    {
        var next = current.Clone();
        if (update.HasPrompt)
        {
            next.Prompt = update.Prompt;
            next.Prompts.Clear();
        }

        if (update.Prompts is { } blend)
        {
            next.Prompts.Clear();
            next.Prompts.Add(blend.Items);
        }

        if (update.HasNegativePrompt)
        {
            next.NegativePrompt = update.NegativePrompt;
        }

        if (update.TIndexList is { } steps)
        {
            next.TIndexList.Clear();
            next.TIndexList.Add(steps.Values);
        }

        if (update.HasGuidanceScale)
        {
            next.GuidanceScale = update.GuidanceScale;
        }

        if (update.HasDelta)
        {
            next.Delta = update.Delta;
        }

        if (update.HasSeed)
        {
            next.Seed = update.Seed;
        }

        if (update.SimilarityFilter is { } filter)
        {
            next.SimilarityFilter = filter;
        }

        return next;
    }

    // Runs in libsrt's handshake thread: dictionary look-ups only.
    private int AdmitBroadcaster(string key)
    {
        if (!_profiles.ContainsKey(key))
        {
            _metrics.Rejected.WithLabels("unknown_key").Inc();
            return SrtNative.RejectNotFound;
        }

        if (_live.ContainsKey(key))
        {
            _metrics.Rejected.WithLabels("key_busy").Inc();
            return SrtNative.RejectConflict;
        }

        if (_sessions.IsDraining || _sessions.ActiveCount >= _sessions.MaxSessions)
        {
            _metrics.Rejected.WithLabels("capacity").Inc();
            return SrtNative.RejectOverload;
        }

        return 0;
    }

    private int AdmitViewer(string key) => _live.ContainsKey(key) ? 0 : SrtNative.RejectNotFound;

    private void StartAcceptLoop(SrtListener listener, Action<SrtConnection> onAccepted, string name)
    {
        var thread = new Thread(() =>
        {
            while (listener.Accept() is { } connection)
            {
                onAccepted(connection);
            }
        })
        { IsBackground = true, Name = name };
        _acceptThreads.Add(thread);
        thread.Start();
    }

    private void OnBroadcaster(SrtConnection connection)
    {
        if (StartSession(connection.StreamId, connection) is null)
        {
            connection.Dispose();
        }
    }

    // Starts an admitted broadcast; null (the caller closes the source) if the key went away or became busy meanwhile.
    private BroadcastSession? StartSession(string key, IIngestSource source)
    {
        if (!_profiles.TryGetValue(key, out var config) || _stopping.IsCancellationRequested)
        {
            return null;
        }

        var session = new BroadcastSession(key, config, source, _options, _metrics, _logger);
        if (!_live.TryAdd(key, session))
        {
            _metrics.Rejected.WithLabels("key_busy").Inc();
            return null;
        }

        session.Completion = Task.Run(async () =>
        {
            try
            {
                await session.RunAsync(_services, _stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                _lastOutcome[key] = session.Outcome ?? "ended";
                _live.TryRemove(new KeyValuePair<string, BroadcastSession>(key, session));
            }
        });
        return session;
    }

    private void OnViewer(SrtConnection connection)
    {
        if (!_live.TryGetValue(connection.StreamId, out var session) || !session.AddViewer(connection))
        {
            connection.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Broadcast on {Address}: SRT ingest port {IngestPort}, RTMP port {RtmpPort}, SRT output port {OutputPort}; {Keys} stream keys configured")]
    private partial void LogListening(string address, int ingestPort, int rtmpPort, int outputPort, int keys);
}
