namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// Buffers for the decoded frames of one broadcast. The session answers every input frame exactly once and in
/// order (processed, dropped or failed), so when the answer to frame n is written, every buffer up to n is free
/// again. In flight at once: the session's input queue, the frame in work and the one being read, so the pool
/// stays a handful of buffers and steady streaming allocates none.
/// </summary>
internal sealed class RawFramePool
{
    private readonly int _frameBytes;
    private readonly Stack<byte[]> _free = new();
    private readonly Queue<(ulong Sequence, byte[] Buffer)> _inFlight = new();

    public RawFramePool(int frameBytes)
    {
        _frameBytes = frameBytes;
    }

    /// <summary>A buffer of exactly the frame size for frame <paramref name="sequence"/>.</summary>
    public byte[] Rent(ulong sequence)
    {
        lock (_inFlight)
        {
            var buffer = _free.Count > 0 ? _free.Pop() : new byte[_frameBytes];
            _inFlight.Enqueue((sequence, buffer));
            return buffer;
        }
    }

    /// <summary>Frees the buffers of every frame up to and including <paramref name="sequence"/>.</summary>
    public void ReleaseThrough(ulong sequence)
    {
        lock (_inFlight)
        {
            while (_inFlight.TryPeek(out var head) && head.Sequence <= sequence)
            {
                _inFlight.Dequeue();
                _free.Push(head.Buffer);
            }
        }
    }

    /// <summary>Returns a buffer that was rented but never handed to the session (end of stream).</summary>
    public void Abandon(ulong sequence) => ReleaseThrough(sequence);
}
