using System.Diagnostics;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// A running Stream session as the web endpoints see it: its description for <c>/sessions</c>, its output rate,
/// and the <see cref="FrameBroadcaster"/> its MJPEG viewers read. Disposing it (at the session's end) removes it
/// from <see cref="LiveSessions"/> and ends its viewers' streams.
/// </summary>
public sealed class LiveSession : IDisposable
{
    private readonly LiveSessions _owner;
    private readonly object _rateGate = new();
    private long _frames;
    private long _lastTimestamp;
    private double _meanIntervalSeconds;
    private int _disposed;

    internal LiveSession(LiveSessions owner, string id, SessionSettings settings, string transport, string peer, string? client)
    {
        Owner = client;
        _owner = owner;
        Id = id;
        Model = settings.Model;
        Mode = settings.Mode;
        Width = settings.Width;
        Height = settings.Height;
        Quality = settings.Quality;
        Transport = transport;
        Peer = peer;
        StartedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The authenticated client the session belongs to (<see cref="SessionIdentity.Owner"/>); null: none.</summary>
    public string? Owner { get; }

    /// <summary>Session id (as in SessionStarted and the host's log).</summary>
    public string Id { get; }

    /// <summary>Resolved model name.</summary>
    public string Model { get; }

    /// <summary>IMG2IMG or TXT2IMG.</summary>
    public GenerationMode Mode { get; }

    /// <summary>Generation width in pixels.</summary>
    public int Width { get; }

    /// <summary>Generation height in pixels.</summary>
    public int Height { get; }

    /// <summary>JPEG quality the session asked for; also used when MJPEG viewers need a frame re-encoded.</summary>
    public int Quality { get; }

    /// <summary>"grpc", "websocket", "srt" or "rtmp" (<see cref="SessionIdentity.Transport"/>).</summary>
    public string Transport { get; }

    /// <summary>The client's address as the transport reports it.</summary>
    public string Peer { get; }

    /// <summary>When the session started (UTC).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Latest output frame for MJPEG viewers.</summary>
    public FrameBroadcaster Frames { get; } = new();

    /// <summary>Output frames published so far.</summary>
    public long FramesOut => Interlocked.Read(ref _frames);

    /// <summary>
    /// Output frames per second: the inverse of a moving average of the gaps between frames, decaying towards 0
    /// while no frame comes (so a paused session does not report its last rate forever).
    /// </summary>
    public double Fps
    {
        get
        {
            lock (_rateGate)
            {
                if (_meanIntervalSeconds <= 0)
                {
                    return 0;
                }

                var sinceLast = Stopwatch.GetElapsedTime(_lastTimestamp).TotalSeconds;
                return 1 / Math.Max(_meanIntervalSeconds, sinceLast);
            }
        }
    }

    /// <summary>
    /// Publishes one output frame. Called by the session loop after the frame was sent to the client, while
    /// <paramref name="frame"/>'s buffer is still valid; it copies and returns without waiting for viewers.
    /// </summary>
    public void Publish(in ProcessedFrame frame)
    {
        if (frame.Data.IsEmpty)
        {
            return;
        }

        Frames.Publish(frame.Data.Span, frame.Format, frame.Width, frame.Height);
        Interlocked.Increment(ref _frames);
        var now = Stopwatch.GetTimestamp();
        lock (_rateGate)
        {
            if (_lastTimestamp != 0)
            {
                var gap = Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds;

                // About the last ten frames weigh in.
                _meanIntervalSeconds = _meanIntervalSeconds <= 0 ? gap : (0.9 * _meanIntervalSeconds) + (0.1 * gap);
            }

            _lastTimestamp = now;
        }
    }

    /// <summary>Ends the session's entry: it leaves the list and its viewers' streams end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Remove(this);
            Frames.Complete();
        }
    }
}
