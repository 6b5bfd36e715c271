namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>Where a broadcast's MPEG-TS bytes come from: an SRT connection, or the remuxer behind an RTMP push.</summary>
internal interface IIngestSource : IDisposable
{
    /// <summary>"srt" or "rtmp".</summary>
    string Transport { get; }

    /// <summary>The child process behind the source (the RTMP remuxer), if any.</summary>
    int? ProcessId { get; }

    /// <summary>The broadcaster's address.</summary>
    string Peer { get; }

    /// <summary>
    /// Blocks for the next bytes: their count, 0 when nothing came within the source's receive timeout, or -1 when the
    /// broadcaster has gone. <see cref="IDisposable.Dispose"/> from another thread ends a blocked call.
    /// </summary>
    int Receive(Span<byte> buffer);
}
