using Grpc.Core;
using Grpc.Net.Client;
using StreamDiffusion.LoadTest.Frames;
using StreamDiffusion.LoadTest.Metrics;
using StreamDiffusion.LoadTest.Reporting;
using StreamDiffusion.Protos.V1;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// One run at a fixed stream count: reads /metrics, starts every stream at once, samples the recorder once per
/// <see cref="SampleInterval"/> (the time series, and the live progress), then reads /metrics again. Bounded: the
/// streams stop at the run's duration, and the run waits at most the start timeout more for their last answers.
/// </summary>
public sealed class LoadRun
{
    /// <summary>Spacing of the time series.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_warmUpTimeout = TimeSpan.FromSeconds(3);
    private readonly GrpcChannel _channel;
    private readonly FrameLibrary _frames;
    private readonly HttpClient _http;
    private readonly LoadTestOptions _options;

    /// <summary>Prepares a run over an open channel (shared by every stream, so calls spread over its addresses).</summary>
    public LoadRun(GrpcChannel channel, FrameLibrary frames, HttpClient http, LoadTestOptions options)
    {
        _channel = channel;
        _frames = frames;
        _http = http;
        _options = options;
    }

    /// <summary>Runs <paramref name="streams"/> streams; <paramref name="progress"/> gets each sample of all replicas.</summary>
    public async Task<RunReport> RunAsync(int streams, Action<LoadRecorder, TimeSample>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(streams);
        if (streams + _options.WebSocketStreams + _options.VideoStreams < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(streams), "a run needs at least one stream, WebSocket session or video call");
        }

        var client = new Client(_channel);
        await WarmUpAsync(client, cancellationToken).ConfigureAwait(false);
        var before = await ScrapeAllAsync(cancellationToken).ConfigureAwait(false);
        var recorder = new LoadRecorder();
        var fallback = _options.Targets.Count == 1 ? _options.Targets[0].Authority : "unknown";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The streams' own slot count ends them; this is the backstop for a host that stops answering.
        stop.CancelAfter(_options.Duration + _options.StartTimeout + _options.StartTimeout);
        var workers = Enumerable.Range(0, streams)
            .Select(i => new StreamWorker(i, client, _frames, _options, recorder, fallback))
            .Select(w => Task.Run(() => w.RunAsync(stop.Token), CancellationToken.None))
            .ToList();

        // WebSocket sessions spread round-robin over the web addresses; their stream numbers follow the gRPC ones.
        var web = _options.EffectiveWebTargets;
        workers.AddRange(Enumerable.Range(0, _options.WebSocketStreams)
            .Select(i => new WebSocketWorker(streams + i, web[i % web.Count], _frames, _options, recorder))
            .Select(w => Task.Run(() => w.RunAsync(stop.Token), CancellationToken.None)));
        var videos = Enumerable.Range(0, _options.VideoStreams)
            .Select(i => new VideoWorker(i, client, _options, recorder, fallback))
            .Select(w => Task.Run(() => w.RunAsync(stop.Token), CancellationToken.None))
            .ToArray();
        var all = Task.WhenAll(Task.WhenAll(workers), Task.WhenAll(videos));
        using var timer = new PeriodicTimer(SampleInterval);
        while (!all.IsCompleted)
        {
            var tick = timer.WaitForNextTickAsync(CancellationToken.None).AsTask();
            if (await Task.WhenAny(all, tick).ConfigureAwait(false) == tick)
            {
                progress?.Invoke(recorder, recorder.Sample()[0]);
            }
        }

        await all.ConfigureAwait(false);
        var results = workers.Select(w => w.Result).ToArray();
        var seconds = recorder.Elapsed;
        progress?.Invoke(recorder, recorder.Sample()[0]);
        var after = await ScrapeAllAsync(cancellationToken).ConfigureAwait(false);
        return new RunReport(
            streams,
            _options.Fps,
            seconds,
            ReplicaReport.From(recorder.All, seconds),
            [.. recorder.Replicas.Select(r => ReplicaReport.From(r, seconds))],
            recorder.Unsent,
            results.Sum(r => r.LostCount),
            recorder.Errors.ToDictionary(e => e.Key.ToString(), e => e.Value, StringComparer.Ordinal),
            recorder.Samples(),
            results,
            before,
            after,
            [.. recorder.Transports.Select(t => ReplicaReport.From(t, seconds))],
            _options.VideoStreams > 0 ? VideoReport.From(recorder.Video, _options.VideoStreams, seconds) : null);
    }

    /// <summary>
    /// Connects before the clock starts: cheap GetCapabilities calls until as many replicas as targets have
    /// answered (or a few seconds passed), so the round-robin balancer has every replica ready and spreads the
    /// streams over all of them instead of the first one that happened to connect.
    /// </summary>
    private async Task WarmUpAsync(Client client, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + s_warmUpTimeout;
        for (var i = 0; i < 4 * _options.Targets.Count + 4 && seen.Count < _options.Targets.Count && DateTime.UtcNow < deadline; i++)
        {
            try
            {
                using var call = client.GetCapabilitiesAsync(new GetCapabilitiesRequest(), deadline: deadline, cancellationToken: cancellationToken);
                var headers = await call.ResponseHeadersAsync.ConfigureAwait(false);
                _ = await call.ConfigureAwait(false);
                seen.Add(headers.GetValue(StreamWorker.ReplicaHeader) ?? string.Empty);
            }
            catch (RpcException)
            {
                // Unreachable or refusing: the run itself reports it.
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<MetricsSnapshot>> ScrapeAllAsync(CancellationToken cancellationToken)
    {
        var scrapes = _options.MetricsEndpoints.Select(e => MetricsScraper.ScrapeAsync(_http, e, cancellationToken));
        return await Task.WhenAll(scrapes).ConfigureAwait(false);
    }
}
