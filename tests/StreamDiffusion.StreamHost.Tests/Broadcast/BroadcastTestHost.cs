using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.StreamHost.Broadcast;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Tests.Web;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>Loopback host with broadcasting on (OS-chosen SRT ports) and the helpers broadcast tests share.</summary>
internal static class BroadcastTestHost
{
    public const int Size = 64;

    public static Task<LoopbackHost> StartAsync(params string[] settings) => LoopbackHost.StartAsync(
        services => services.AddSingleton<IStreamProcessorFactory, PromptSwitchProcessorFactory>(),
        [
            "Broadcast:Enabled=true", "Broadcast:SrtPort=0", "Broadcast:SrtOutputPort=0", "Broadcast:RtmpPort=0", "Broadcast:SrtLatencyMs=40",
            "Broadcast:IdleTimeout=00:00:02", "Broadcast:FirstFrameTimeout=00:00:03", "Broadcast:OutputKeyframeInterval=10",
            .. settings,
        ]);

    public static BroadcastServer Server(this LoopbackHost host) => host.App.Services.GetRequiredService<BroadcastServer>();

    public static string IngestUrl(this LoopbackHost host, string key) =>
        string.Create(CultureInfo.InvariantCulture, $"srt://127.0.0.1:{host.Server().SrtPort}?streamid={key}&latency=40000");

    public static string RtmpUrl(this LoopbackHost host, string key) =>
        string.Create(CultureInfo.InvariantCulture, $"rtmp://127.0.0.1:{host.Server().RtmpPort}/live/{key}");

    public static string OutputUrl(this LoopbackHost host, string key) =>
        string.Create(CultureInfo.InvariantCulture, $"srt://127.0.0.1:{host.Server().SrtOutputPort}?streamid={key}&latency=40000");

    public static string Image(string name) => Path.Combine(WebTestData.Images, name);

    /// <summary>ffmpeg input arguments: a still image at 30 fps, square 256x256, for <paramref name="seconds"/> or forever.</summary>
    public static string[] Still(string image, double? seconds = null) =>
        seconds is { } s
            ? ["-re", "-loop", "1", "-framerate", "30", "-t", s.ToString(CultureInfo.InvariantCulture), "-i", Image(image), "-vf", "scale=256:256,setsar=1"]
            : ["-re", "-loop", "1", "-framerate", "30", "-i", Image(image), "-vf", "scale=256:256,setsar=1"];

    /// <summary>ffmpeg input arguments: one still for <paramref name="seconds"/>, then another forever, both square 256x256 at 30 fps.</summary>
    public static string[] TwoStills(string first, double seconds, string second) =>
    [
        "-re", "-loop", "1", "-framerate", "30", "-t", seconds.ToString(CultureInfo.InvariantCulture), "-i", Image(first),
        "-re", "-loop", "1", "-framerate", "30", "-i", Image(second),
        "-filter_complex", "[0:v]scale=256:256,setsar=1,format=yuv420p[a];[1:v]scale=256:256,setsar=1,format=yuv420p[b];[a][b]concat=n=2:v=1:a=0",
    ];

    /// <summary>What the host's decoder makes of <see cref="Still"/>: the image as RGB24 at <see cref="Size"/>.</summary>
    public static async Task<byte[]> ReferenceAsync(string image)
    {
        using var ffmpeg = FfmpegChild.Start("-i", Image(image), "-vf", $"scale=256:256,scale={Size}:{Size}", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1");
        return await ffmpeg.ReadFrameAsync(Size * Size * 3, TimeSpan.FromSeconds(20))
            ?? throw new InvalidOperationException("ffmpeg could not decode " + image + ": " + ffmpeg.Log);
    }

    /// <summary>Polls until the key is live with a session id; null after <paramref name="timeout"/>.</summary>
    public static async Task<BroadcastSession?> WaitLiveAsync(this LoopbackHost host, string key, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (host.Server().TryGetLive(key, out var session) && session.SessionId is not null && session.EncoderPid is not null)
            {
                return session;
            }

            await Task.Delay(50);
        }

        return null;
    }

    /// <summary>Polls until the key's broadcast has ended; its outcome, or null after <paramref name="timeout"/>.</summary>
    public static async Task<string?> WaitEndedAsync(this LoopbackHost host, string key, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!host.Server().TryGetLive(key, out _) && host.Server().LastOutcome(key) is { } outcome)
            {
                return outcome;
            }

            await Task.Delay(50);
        }

        return null;
    }

    /// <summary>True while a process with this id exists and is not a zombie.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Pearson correlation of two equally long byte images.</summary>
    public static double Correlation(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double meanA = 0, meanB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
        }

        meanA /= a.Length;
        meanB /= b.Length;
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var da = a[i] - meanA;
            var db = b[i] - meanB;
            cov += da * db;
            varA += da * da;
            varB += db * db;
        }

        return cov / Math.Sqrt((varA * varB) + 1e-9);
    }

    /// <summary>
    /// Reads frames until one correlates with <paramref name="reference"/> beyond <paramref name="threshold"/>
    /// (a negative threshold looks for the negative image); the frames read, or null when none did in time.
    /// </summary>
    public static async Task<int?> ReadUntilAsync(FfmpegChild player, byte[] reference, double threshold, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var frames = 0;
        while (DateTime.UtcNow < deadline)
        {
            var frame = await player.ReadFrameAsync(reference.Length, deadline - DateTime.UtcNow);
            if (frame is null)
            {
                return null;
            }

            frames++;
            var r = Correlation(frame, reference);
            if (threshold >= 0 ? r >= threshold : r <= threshold)
            {
                return frames;
            }
        }

        return null;
    }
}
