using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// RTMP ingest on one TCP port, routed by stream key (<c>rtmp://host:port/live/KEY</c>). ffmpeg's RTMP listener takes
/// one connection and accepts any key, so the host accepts the connections itself and relays each, byte for byte, to
/// an ffmpeg of its own on a loopback port (<see cref="RtmpIngest"/>), reading the key from the publisher's
/// <c>publish</c> command on the way (<see cref="RtmpPublishSniffer"/>). A wrong or busy key closes the connection
/// before any video is decoded; a publisher silent for the idle timeout is cut off.
/// </summary>
internal sealed partial class RtmpListener : IDisposable
{
    private const int MaxPendingConnections = 16;
    private const int MaxBytesBeforePublish = 256 * 1024;
    private static readonly TimeSpan s_remuxerStartTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly BroadcastOptions _options;
    private readonly Func<string, int> _admit;
    private readonly Func<string, IIngestSource, BroadcastSession?> _start;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _relays = new();
    private Task? _acceptLoop;

    public RtmpListener(IPEndPoint endpoint, BroadcastOptions options, Func<string, int> admit,
        Func<string, IIngestSource, BroadcastSession?> start, ILogger logger)
    {
        _listener = new TcpListener(endpoint);
        _options = options;
        _admit = admit;
        _start = start;
        _logger = logger;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    /// <summary>The TCP port listened on.</summary>
    public int Port { get; }

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    /// <summary>Stops accepting and waits (bounded) for the relays to finish.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        var pending = _relays.Keys.Append(_acceptLoop ?? Task.CompletedTask).ToArray();
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_relays.Count >= MaxPendingConnections)
            {
                client.Dispose();
                continue;
            }

            var relay = Task.Run(() => RelayAsync(client));
            _relays.TryAdd(relay, 0);
            _ = relay.ContinueWith(t => _relays.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var peer = client.RemoteEndPoint?.ToString() ?? "unknown";
        using var owned = client;
        var port = FreeLoopbackPort();
        var ingest = new RtmpIngest(FfmpegProcess.Start(_options.FfmpegPath, RtmpIngest.RemuxerArguments(port)), peer);
        var handedOver = false;
        BroadcastSession? session = null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        try
        {
            using var upstream = await ConnectAsync(port, cts.Token).ConfigureAwait(false);
            if (upstream is null)
            {
                LogRemuxerFailed(peer);
                return;
            }

            // Remuxer → publisher (handshake and command replies). When the remuxer goes, so does the relay.
            var back = PumpAsync(upstream, client, cts);
            var sniffer = new RtmpPublishSniffer();
            var buffer = new byte[16 * 1024];
            while (true)
            {
                int n;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
                {
                    idle.CancelAfter(_options.IdleTimeout);
                    try
                    {
                        n = await client.ReceiveAsync(buffer, idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                    {
                        session?.Stop("idle");
                        break;
                    }
                }

                if (n == 0)
                {
                    break;
                }

                if (!handedOver)
                {
                    var key = sniffer.Feed(buffer.AsSpan(0, n));
                    if (key is null && sniffer.Seen > MaxBytesBeforePublish)
                    {
                        LogNoPublish(peer);
                        break;
                    }

                    if (key is not null)
                    {
                        var reason = _admit(key);
                        session = reason == 0 ? _start(key, ingest) : null;
                        if (session is null)
                        {
                            LogRefused(peer, key, reason);
                            break;
                        }

                        handedOver = true;
                    }
                }

                await upstream.SendAsync(buffer.AsMemory(0, n), cts.Token).ConfigureAwait(false);
            }

            await cts.CancelAsync().ConfigureAwait(false);
            await back.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The publisher or the remuxer went away.
        }
        finally
        {
            if (!handedOver)
            {
                // Once handed over, the session owns the remuxer and kills it when it ends.
                ingest.Dispose();
            }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationTokenSource relay)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, relay.Token).ConfigureAwait(false)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, n), relay.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side closed.
        }
        finally
        {
            try
            {
                await relay.CancelAsync().ConfigureAwait(false);
                to.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closed already.
            }
        }
    }

    private async Task<Socket?> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + s_remuxerStartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
                await Task.Delay(25, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RTMP publisher {Peer}: the remuxer did not start listening")]
    private partial void LogRemuxerFailed(string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "RTMP connection from {Peer} sent no publish command; closed")]
    private partial void LogNoPublish(string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "RTMP publisher {Peer} refused for key '{Key}' (reason {Reason})")]
    private partial void LogRefused(string peer, string key, int reason);
}
