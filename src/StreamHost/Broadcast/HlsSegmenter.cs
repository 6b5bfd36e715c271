using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// A broadcast's HLS output for browsers: an ffmpeg child that cuts the encoder's MPEG-TS (H.264 copied, not
/// re-encoded) into short segments and a rolling playlist in a folder of its own. Bounded on every side: the
/// playlist keeps a few segments and ffmpeg deletes older ones; the bytes waiting for ffmpeg are a bounded queue, and
/// a segmenter that falls that far behind is killed (HLS ends, the broadcast goes on: it never slows the SRT output or
/// the session); disposing kills the child and deletes the folder.
/// </summary>
internal sealed partial class HlsSegmenter : IDisposable
{
    /// <summary>The playlist's file name.</summary>
    public const string PlaylistName = "index.m3u8";

    // About 5 MB of encoder output at the pump's chunk size: seconds of video at any sane bitrate.
    private const int QueuedChunks = 256;

    private readonly FfmpegProcess _process;
    private readonly Channel<byte[]> _chunks = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(QueuedChunks) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _feeder;
    private int _stopped;

    private HlsSegmenter(FfmpegProcess process, string folder)
    {
        _process = process;
        Folder = folder;
        _feeder = FeedAsync();
    }

    /// <summary>The folder holding the playlist and its segments.</summary>
    public string Folder { get; }

    /// <summary>The segmenter's process id (tests check it is gone after the session).</summary>
    public int ProcessId => _process.Id;

    /// <summary>True once the segmenter stopped (fell behind, or its ffmpeg exited): no more segments will come.</summary>
    public bool Stopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>ffmpeg's last words, for the log when it stopped early.</summary>
    public string ErrorTail => _process.ErrorTail;

    /// <summary>Creates <paramref name="folder"/> and starts ffmpeg segmenting into it.</summary>
    public static HlsSegmenter Start(string ffmpegPath, string folder, TimeSpan segmentDuration, int listSize)
    {
        Directory.CreateDirectory(folder);
        try
        {
            return new HlsSegmenter(FfmpegProcess.Start(ffmpegPath, FfmpegArguments.HlsSegmenter(folder, segmentDuration, listSize)), folder);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>True for the names the segmenter writes (the playlist and its segments): what the host serves.</summary>
    public static bool IsServedName(string name) => name == PlaylistName || SegmentName().IsMatch(name);

    /// <summary>Queues a chunk of the encoder's MPEG-TS without waiting; a segmenter that cannot keep up is stopped.</summary>
    public void Offer(ReadOnlySpan<byte> data)
    {
        if (Stopped || data.IsEmpty)
        {
            return;
        }

        if (!_chunks.Writer.TryWrite(data.ToArray()))
        {
            Stop();
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _feeder.Wait(TimeSpan.FromSeconds(5));
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created, or removed by someone else.
        }
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _chunks.Writer.TryComplete();

            // A write blocked on a full pipe fails once the process is gone.
            _process.Kill();
        }
    }

    private async Task FeedAsync()
    {
        try
        {
            await foreach (var chunk in _chunks.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await _process.Input.WriteAsync(chunk).ConfigureAwait(false);
                await _process.Input.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // ffmpeg exited or was killed.
            Stop();
        }
    }

    [GeneratedRegex(@"^seg[0-9]{1,20}\.ts$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentName();
}
