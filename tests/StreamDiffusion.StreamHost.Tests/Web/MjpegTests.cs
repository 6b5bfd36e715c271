using System.Net;
using System.Text.Json;
using Google.Protobuf;
using OpenCvSharp;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Tests.Diffusion;
using StreamDiffusion.StreamHost.Web;

namespace StreamDiffusion.StreamHost.Tests.Web;

/// <summary>
/// /sessions/{id}/mjpeg and /sessions: any live session's output as a multipart JPEG stream (read by ffmpeg and by a
/// small multipart reader), 404 for unknown ids, the end of the stream with the session, and the session list.
/// </summary>
public sealed class MjpegTests(DiffusionHostFixture fixture) : IClassFixture<DiffusionHostFixture>
{
    private const int Size = 256;

    [FfmpegFact]
    public async Task Ffmpeg_decodes_frames_of_a_grpc_diffusion_session_from_its_mjpeg_url()
    {
        await using var host = await LoopbackHost.StartAsync(LoopbackHost.WithDiffusion, fixture.Settings());
        var (call, started) = await Frames.OpenAsync(host.Client, new SessionConfig { Prompt = "a rocket in space", Width = Size, Height = Size });
        using var _ = call;
        var jpegs = WebTestData.Jpegs(Size);

        // Keep the session producing frames while ffmpeg watches.
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            var n = 0UL;
            while (!stop.IsCancellationRequested)
            {
                var frame = new InputFrame { Format = FrameFormat.Jpeg, Data = ByteString.CopyFrom(jpegs[(int)(n % (ulong)jpegs.Count)]), Sequence = ++n };
                await Frames.RoundTripAsync(call, frame);
            }

            return n;
        });

        var output = Directory.CreateTempSubdirectory("sdnet-mjpeg-").FullName;
        try
        {
            var url = new Uri(host.HttpAddress, $"/sessions/{started.SessionId}/mjpeg").ToString();
            var (exit, log) = await ExternalTools.RunAsync(
                "ffmpeg",
                ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "mpjpeg", "-i", url, "-frames:v", "3", Path.Combine(output, "out%02d.png")],
                output,
                TimeSpan.FromMinutes(3));
            Assert.True(exit == 0, $"ffmpeg exited with {exit}: {log}");
            var files = Directory.GetFiles(output, "out*.png").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(3, files.Count);
            foreach (var file in files)
            {
                using var image = Cv2.ImRead(file, ImreadModes.Color);
                Assert.Equal(Size, image.Width);
                Assert.Equal(Size, image.Height);
                Cv2.MeanStdDev(image, out var mean, out var std);
                Assert.InRange(mean.Val0, 1, 254);
                Assert.True(std.Val0 > 2, "a generated frame, not a blank one");
            }
        }
        finally
        {
            stop.Cancel();
            await pump;
            await Frames.CompleteAsync(call);
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task An_unknown_session_id_gets_404()
    {
        await using var host = await LoopbackHost.StartAsync();
        var response = await host.Http.GetAsync(new Uri("/sessions/0123456789ab/mjpeg", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("/sessions", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_viewer_that_connects_before_the_first_frame_gets_the_stream_open_then_the_frame()
    {
        await using var host = await LoopbackHost.StartAsync();
        var (call, started) = await Frames.OpenAsync(host.Client, Frames.RawConfig(64));
        using var _ = call;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // No frame yet: the headers still come.
        using var response = await host.Http.GetAsync(new Uri($"/sessions/{started.SessionId}/mjpeg", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!;
        var reader = new MjpegPartReader(await response.Content.ReadAsStreamAsync(cts.Token), boundary);

        var first = await Frames.RoundTripAsync(call, Gradient(48, 32, 1, 0));
        var part = await reader.NextAsync(cts.Token);
        Assert.NotNull(part);
        AssertCloseTo(first.Data.ToByteArray(), 48, 32, part.Value.Data);
        await Frames.CompleteAsync(call);
    }

    [Fact]
    public async Task A_raw_output_session_is_reencoded_as_jpeg_and_the_stream_ends_with_the_session()
    {
        // The echo processor inverts raw input: the MJPEG part must be the JPEG of that inverted image.
        await using var host = await LoopbackHost.StartAsync();
        var (call, started) = await Frames.OpenAsync(host.Client, Frames.RawConfig(64));
        using var _ = call;
        var first = await Frames.RoundTripAsync(call, Gradient(48, 32, 1, 0));
        Assert.Equal(FrameFormat.Rgb24, first.Format);

        using var response = await host.Http.GetAsync(new Uri($"/sessions/{started.SessionId}/mjpeg", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("multipart/x-mixed-replace", response.Content.Headers.ContentType!.MediaType);
        var boundary = response.Content.Headers.ContentType.Parameters.Single(p => p.Name == "boundary").Value!;
        Assert.Equal(MjpegEndpoint.Boundary, boundary);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var reader = new MjpegPartReader(await response.Content.ReadAsStreamAsync(cts.Token), boundary);

        // The latest frame comes at once, then each new one.
        var part = await reader.NextAsync(cts.Token);
        Assert.NotNull(part);
        Assert.Equal("image/jpeg", part.Value.ContentType);
        AssertCloseTo(first.Data.ToByteArray(), 48, 32, part.Value.Data);

        var second = await Frames.RoundTripAsync(call, Gradient(48, 32, 2, 90));
        part = await reader.NextAsync(cts.Token);
        Assert.NotNull(part);
        AssertCloseTo(second.Data.ToByteArray(), 48, 32, part.Value.Data);

        await Frames.CompleteAsync(call);
        Assert.Null(await reader.NextAsync(cts.Token));
        Assert.True(reader.SawClosingBoundary);
    }

    [Fact]
    public async Task Sessions_lists_grpc_and_websocket_sessions_with_their_frame_counts()
    {
        await using var host = await LoopbackHost.StartAsync();
        var (call, grpcStarted) = await Frames.OpenAsync(host.Client, Frames.RawConfig(64));
        using var _ = call;
        for (var i = 1; i <= 3; i++)
        {
            await Frames.RoundTripAsync(call, Frames.Raw(16, 16, (ulong)i, i));
        }

        await using var ws = await WsClient.ConnectAsync(host.HttpAddress);
        var wsStarted = await ws.StartAsync(new { width = 128, height = 128 });
        await ws.RoundTripAsync(WebTestData.Jpegs(64)[0]);

        var list = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        Assert.Equal(2, list.GetProperty("active").GetInt32());
        var sessions = list.GetProperty("sessions").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!);
        var grpc = sessions[grpcStarted.SessionId];
        Assert.Equal("grpc", grpc.GetProperty("transport").GetString());
        Assert.Equal(3, grpc.GetProperty("frames").GetInt64());
        Assert.Equal(64, grpc.GetProperty("width").GetInt32());
        Assert.Equal("img2img", grpc.GetProperty("mode").GetString());
        Assert.Equal($"/sessions/{grpcStarted.SessionId}/mjpeg", grpc.GetProperty("mjpeg_url").GetString());
        Assert.True(grpc.GetProperty("fps").GetDouble() > 0);
        var web = sessions[wsStarted.GetProperty("session_id").GetString()!];
        Assert.Equal("websocket", web.GetProperty("transport").GetString());
        Assert.Equal(1, web.GetProperty("frames").GetInt64());
        Assert.Equal(128, web.GetProperty("height").GetInt32());
        Assert.StartsWith("ws:", web.GetProperty("peer").GetString(), StringComparison.Ordinal);

        await Frames.CompleteAsync(call);
        await ws.CloseAsync();
        var after = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/sessions", UriKind.Relative))).RootElement;
        Assert.Empty(after.GetProperty("sessions").EnumerateArray());
    }

    /// <summary>A smooth raw RGB24 image (JPEG keeps it close), shifted by <paramref name="offset"/>.</summary>
    private static InputFrame Gradient(int width, int height, ulong sequence, int offset)
    {
        var data = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                data[i] = (byte)((x * 4) + offset);
                data[i + 1] = (byte)(y * 6);
                data[i + 2] = (byte)(200 - offset);
            }
        }

        return new InputFrame { Format = FrameFormat.Rgb24, Width = width, Height = height, Data = ByteString.CopyFrom(data), Sequence = sequence };
    }

    private static void AssertCloseTo(byte[] rgb, int width, int height, byte[] jpeg)
    {
        using var decoded = Cv2.ImDecode(jpeg, ImreadModes.Color);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        using var expected = Mat.FromPixelData(height, width, MatType.CV_8UC3, rgb);
        using var expectedBgr = new Mat();
        Cv2.CvtColor(expected, expectedBgr, ColorConversionCodes.RGB2BGR);
        using var diff = new Mat();
        Cv2.Absdiff(decoded, expectedBgr, diff);
        var mean = Cv2.Mean(diff);
        Assert.True((mean.Val0 + mean.Val1 + mean.Val2) / 3 < 12, $"JPEG of the raw output, mean abs difference {mean}");
    }
}
