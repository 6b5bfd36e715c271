using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// <c>/sessions/{id}/mjpeg</c>: a <c>multipart/x-mixed-replace</c> stream of a live session's output frames as
/// JPEG parts, for an OBS Media Source or Browser Source, an <c>&lt;img&gt;</c> tag, or ffmpeg
/// (<c>-f mpjpeg</c>). Latest frame wins: a viewer that falls behind skips to the newest frame, and nothing
/// queues for it. The stream starts with the latest frame (if any) and ends when the session ends; 404 for a
/// session id that is not running.
/// </summary>
public static partial class MjpegEndpoint
{
    /// <summary>The multipart boundary.</summary>
    public const string Boundary = "streamdiffusion-frame";

    private static readonly byte[] s_crLf = "\r\n"u8.ToArray();

    private static readonly byte[] s_closing = Encoding.ASCII.GetBytes("--" + Boundary + "--\r\n");

    private static bool MayWatch(HttpContext http, LiveSession session)
    {
        if (Security.ClientIdentity.Of(http) is not { } caller || caller.CanAccess(session.Owner))
        {
            return true;
        }

        return http.RequestServices.GetService<Security.MjpegUrlSigner>()?.Verify(http.Request) == Security.SignedUrlCheck.Valid;
    }

    /// <summary>Serves one viewer until the session ends or the viewer goes away.</summary>
    public static async Task HandleAsync(HttpContext http, string id)
    {
        ArgumentNullException.ThrowIfNull(http);
        var sessions = http.RequestServices.GetRequiredService<LiveSessions>();
        // A key may watch only its own sessions (admin keys all); a signed URL, handed out by /sessions to whoever may
        // see the session, stands on its own. Someone else's session is "not running", as if it did not exist.
        if (!sessions.TryGet(id, out var session) || !MayWatch(http, session))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync($"no running session '{id}'; GET /sessions lists the running ones\n", http.RequestAborted).ConfigureAwait(false);
            return;
        }

        var response = http.Response;
        response.ContentType = "multipart/x-mixed-replace; boundary=" + Boundary;
        response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
        response.Headers.Pragma = "no-cache";

        // Reverse proxies (nginx) must pass parts through as they come.
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var ct = http.RequestAborted;
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MjpegEndpoint));
        var frames = session.Frames;
        using var viewer = frames.AddViewer();
        var buffer = Array.Empty<byte>();
        var header = new byte[256];
        long seen = 0;
        var sent = 0L;
        try
        {
            await response.StartAsync(ct).ConfigureAwait(false);

            // Send the headers now: a viewer that connects before the session's first frame (OBS set up ahead of
            // the show) sees the stream open instead of a request that hangs until a frame comes.
            await response.Body.FlushAsync(ct).ConfigureAwait(false);
            while (await frames.WaitForNewerAsync(seen, ct).ConfigureAwait(false))
            {
                var frame = frames.CopyLatest(ref buffer);
                seen = frame.Version;
                ReadOnlyMemory<byte> jpeg;
                if (frame.Format == FrameFormat.Jpeg)
                {
                    jpeg = buffer.AsMemory(0, frame.Length);
                }
                else
                {
                    try
                    {
                        var encoded = JpegTranscoder.ToJpeg(buffer, frame.Length, frame.Format, frame.Width, frame.Height, session.Quality);
                        frames.CacheJpeg(frame.Version, encoded);
                        jpeg = encoded;
                    }
                    catch (Exception ex) when (ex is ArgumentException or OpenCvSharp.OpenCVException)
                    {
                        LogTranscodeFailed(logger, session.Id, ex.Message);
                        continue;
                    }
                }

                System.Text.Unicode.Utf8.TryWrite(header, CultureInfo.InvariantCulture,
                    $"--{Boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n", out var headerLength);
                await response.Body.WriteAsync(header.AsMemory(0, headerLength), ct).ConfigureAwait(false);
                await response.Body.WriteAsync(jpeg, ct).ConfigureAwait(false);
                await response.Body.WriteAsync(s_crLf, ct).ConfigureAwait(false);
                await response.Body.FlushAsync(ct).ConfigureAwait(false);
                sent++;
            }

            await response.Body.WriteAsync(s_closing, ct).ConfigureAwait(false);
            await response.Body.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The viewer left.
        }
        catch (IOException)
        {
            // The viewer's connection broke mid-write.
        }

        LogViewerEnded(logger, session.Id, sent);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "MJPEG viewer of session {SessionId}: a frame could not be re-encoded as JPEG: {Reason}")]
    private static partial void LogTranscodeFailed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MJPEG viewer of session {SessionId} ended after {Frames} frames")]
    private static partial void LogViewerEnded(ILogger logger, string sessionId, long frames);
}
