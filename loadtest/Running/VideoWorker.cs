using System.Diagnostics;
using Grpc.Core;
using StreamDiffusion.Protos.V1;
using Client = StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient;

namespace StreamDiffusion.LoadTest.Running;

/// <summary>
/// One text-to-video viewer: a <c>GenerateVideo</c> call that runs until the run's duration (the load test then
/// cancels it, which the host must treat as an ordinary end) and counts the frames as they leave the FIFO head.
/// Unlike a camera stream it sends nothing after the request, so what it measures is the host's output rate,
/// the start-up time and how evenly frames arrive while img2img streams share the model.
/// </summary>
public sealed class VideoWorker
{
    private readonly int _index;
    private readonly Client _client;
    private readonly LoadTestOptions _options;
    private readonly LoadRecorder _recorder;
    private readonly string _fallbackReplica;

    /// <summary>Prepares the call; nothing is sent before <see cref="RunAsync"/>.</summary>
    public VideoWorker(int index, Client client, LoadTestOptions options, LoadRecorder recorder, string fallbackReplica)
    {
        _index = index;
        _client = client;
        _options = options;
        _recorder = recorder;
        _fallbackReplica = fallbackReplica;
    }

    /// <summary>Runs the call until <see cref="LoadTestOptions.Duration"/>, its frame count, or <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var opened = Stopwatch.GetTimestamp();
        using var end = CancellationTokenSource.CreateLinkedTokenSource(stop);
        end.CancelAfter(_options.Duration);
        var replica = _fallbackReplica;
        long frames = 0;
        long lastIndex = -1;
        long previous = 0;
        Status status;
        try
        {
            using var call = _client.GenerateVideo(Request(), cancellationToken: end.Token);
            var headers = await call.ResponseHeadersAsync.ConfigureAwait(false);
            replica = headers.GetValue(StreamWorker.ReplicaHeader) ?? _fallbackReplica;
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                if (frames == 0)
                {
                    _recorder.Video.OnFirstFrame((long)Stopwatch.GetElapsedTime(opened, now).TotalMicroseconds);
                }

                _recorder.Video.OnFrame(replica, frames == 0 ? null : (long)Stopwatch.GetElapsedTime(previous, now).TotalMicroseconds);
                previous = now;
                lastIndex = (long)call.ResponseStream.Current.Index;
                frames++;
            }

            status = call.GetStatus();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && end.IsCancellationRequested)
        {
            // The load test's own stop at the run's duration: an ordinary end of an unbounded video.
            status = new Status(StatusCode.OK, "stopped at the run's duration");
        }
        catch (RpcException ex)
        {
            status = ex.Status;
        }

        if (status.StatusCode != StatusCode.OK)
        {
            _recorder.OnError(status.StatusCode);
        }

        _recorder.Video.OnCallEnded(new VideoCallRecord(_index, frames > 0 ? replica : string.Empty, status.StatusCode.ToString(), status.Detail, frames, lastIndex));
    }

    private GenerateVideoRequest Request()
    {
        var request = new GenerateVideoRequest
        {
            Model = _options.Model,
            Width = _options.Size,
            Height = _options.Size,
            CoherentTail = true,
            OutputEncoding = OutputEncoding.Jpeg,
            Quality = _options.Quality,
            Seed = _index,
        };
        if (_options.VideoPartitions > 0)
        {
            request.NumPartitions = _options.VideoPartitions;
        }

        request.Prompts.Add(new PromptKeyframe { StartFrame = 0, Text = _options.Prompt });
        return request;
    }
}
