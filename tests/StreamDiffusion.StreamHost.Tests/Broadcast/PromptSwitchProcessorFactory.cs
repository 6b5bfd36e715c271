using System.Diagnostics;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Tests.Broadcast;

/// <summary>
/// A stand-in pipeline whose output shows its prompt: raw RGB24 input comes back as is, or as its negative while the
/// prompt contains "negative". So a test sees both that output follows input and that a live prompt change arrived.
/// </summary>
internal sealed class PromptSwitchProcessorFactory : IStreamProcessorFactory
{
    public string Name => "prompt-switch";

    public ValueTask<IStreamProcessor> CreateAsync(ModelDescriptor model, SessionSettings settings, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IStreamProcessor>(new Processor(settings));

    private sealed class Processor(SessionSettings settings) : IStreamProcessor
    {
        private SessionSettings _settings = settings;
        private byte[] _output = [];

        public ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken)
        {
            _settings = settings;
            return ValueTask.CompletedTask;
        }

        public ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            if (input.Format != FrameFormat.Rgb24)
            {
                throw new FrameRejectedException("this test pipeline takes RGB24 only");
            }

            var length = input.Width * input.Height * 3;
            if (_output.Length != length)
            {
                _output = new byte[length];
            }

            var negative = _settings.Prompt.Contains("negative", StringComparison.Ordinal);
            var data = input.Data.Span;
            for (var y = 0; y < input.Height; y++)
            {
                var src = data.Slice(y * input.Stride, input.Width * 3);
                var dst = _output.AsSpan(y * input.Width * 3, input.Width * 3);
                for (var i = 0; i < src.Length; i++)
                {
                    dst[i] = negative ? (byte)(255 - src[i]) : src[i];
                }
            }

            return ValueTask.FromResult(new ProcessedFrame(_output, FrameFormat.Rgb24, input.Width, input.Height, false,
                DecodeMs: 0, DenoiseMs: Stopwatch.GetElapsedTime(start).TotalMilliseconds, EncodeMs: 0));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
