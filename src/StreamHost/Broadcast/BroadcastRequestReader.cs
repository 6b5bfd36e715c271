using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// A broadcast as a session's requests: first the stream key's SessionConfig, then the
/// decoder's raw RGB24 frames (numbered 1, 2, 3, ...; the timestamp field carries the moment each left the decoder,
/// for the host latency metric) interleaved with control updates from the HTTP API. The end of the decoder's output
/// ends the requests like a gRPC half-close.
/// </summary>
internal sealed class BroadcastRequestReader : ISessionInput
{
    private readonly BroadcastSession _session;
    private readonly SessionConfig _config;
    private readonly ChannelReader<ControlUpdate> _controls;
    // Completed controls channel (the key was deleted): wait for frames only.
    private static readonly Task<bool> s_never = new TaskCompletionSource<bool>().Task;

    private bool _configSent;
    private Task<InputFrame?>? _pendingFrame;
    private Task<bool>? _pendingControl;
    private ulong _sequence;

    public BroadcastRequestReader(BroadcastSession session, SessionConfig config, ChannelReader<ControlUpdate> controls)
    {
        _session = session;
        _config = config;
        _controls = controls;
    }

    /// <summary>Frames read from the decoder so far.</summary>
    public ulong FramesDecoded => _sequence;

    public async ValueTask<StreamRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!_configSent)
        {
            _configSent = true;
            return new StreamRequest { Config = _config };
        }

        while (true)
        {
            if (_controls.TryRead(out var control))
            {
                return new StreamRequest { Control = control };
            }

            // One pending read of each kind at a time, kept across calls, so nothing is lost or left waiting.
            _pendingFrame ??= ReadFrameAsync(cancellationToken);
            _pendingControl ??= _controls.WaitToReadAsync(cancellationToken).AsTask();
            await Task.WhenAny(_pendingFrame, _pendingControl).ConfigureAwait(false);
            if (_pendingControl.IsCompleted)
            {
                var more = await _pendingControl.ConfigureAwait(false);
                _pendingControl = more ? null : s_never;
                if (more)
                {
                    continue;
                }
            }

            if (_pendingFrame.IsCompleted)
            {
                var frame = await _pendingFrame.ConfigureAwait(false);
                _pendingFrame = null;
                // A new message per frame: the session keeps it in its queue (as it keeps a gRPC message).
                return frame is null ? null : new StreamRequest { Frame = frame };
            }
        }
    }

    private async Task<InputFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var (decoder, pool, width, height) = await _session.DecoderAsync(cancellationToken).ConfigureAwait(false);
        var sequence = _sequence + 1;
        var buffer = pool.Rent(sequence);
        int read;
        try
        {
            var reading = decoder.Output.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).AsTask();
            read = sequence == 1
                ? await reading.WaitAsync(_session.FirstFrameTimeout, cancellationToken).ConfigureAwait(false)
                : await reading.ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The pending read ends when the decoder is killed with the session.
            throw _session.NoPicture();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            read = 0;
        }

        if (read < buffer.Length)
        {
            pool.Abandon(sequence);
            await _session.DecoderEndedAsync(_sequence).ConfigureAwait(false);
            return null;
        }

        _sequence = sequence;
        _session.OnFrameDecoded();

        // The pixels stay in the pooled buffer until the session answers this frame (RawFramePool).
        return new InputFrame
        {
            Data = UnsafeByteOperations.UnsafeWrap(buffer),
            Format = FrameFormat.Rgb24,
            Width = width,
            Height = height,
            Stride = width * 3,
            Sequence = sequence,
            ClientTimestampUs = Stopwatch.GetTimestamp(),
        };
    }
}
