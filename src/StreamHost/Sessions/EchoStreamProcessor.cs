using System.Diagnostics;
using StreamDiffusion.Protos.V1;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>
/// Deterministic stand-in for the diffusion pipeline, so the service surface can be built and tested without
/// models. It decodes nothing:
/// raw RGB24/BGR24 input comes back as tightly packed RGB24 with every sample inverted (255 - v);
/// JPEG/PNG input comes back byte for byte in its own format (output_encoding is ignored);
/// a txt2img tick yields a width x height RGB24 pattern that depends only on seed and prompt.
/// With the similarity filter on, an input byte-identical to the last processed one is skipped (the previous
/// output is returned) up to max_skip_frames times in a row.
/// </summary>
public sealed class EchoStreamProcessor : IStreamProcessor
{
    private SessionSettings _settings;
    private byte[] _output = [];
    private int _outputLength;
    private FrameFormat _outputFormat;
    private int _outputWidth;
    private int _outputHeight;
    private byte[] _lastInput = [];
    private int _lastInputLength = -1;
    private int _consecutiveSkips;

    /// <summary>Creates the processor with the session's initial settings.</summary>
    public EchoStreamProcessor(SessionSettings settings)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
    }

    /// <inheritdoc />
    public ValueTask UpdateAsync(SessionSettings settings, CancellationToken cancellationToken)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<ProcessedFrame> ProcessAsync(FrameInput input, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var data = input.Data.Span;
        var filter = _settings.Filter;
        if (filter.Enabled && _lastInputLength == data.Length && _consecutiveSkips < filter.MaxSkipFrames
            && data.SequenceEqual(_lastInput.AsSpan(0, _lastInputLength)))
        {
            _consecutiveSkips++;
            return ValueTask.FromResult(Result(skipped: true, start));
        }

        _consecutiveSkips = 0;
        Remember(data);
        if (data.IsEmpty)
        {
            Pattern(_settings);
        }
        else if (input.Format is FrameFormat.Rgb24 or FrameFormat.Bgr24)
        {
            Invert(data, input.Width, input.Height, input.Stride, input.Format == FrameFormat.Bgr24);
        }
        else
        {
            Ensure(data.Length);
            data.CopyTo(_output);
            _outputLength = data.Length;
            _outputFormat = input.Format;
            _outputWidth = input.Width;
            _outputHeight = input.Height;
        }

        return ValueTask.FromResult(Result(skipped: false, start));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private ProcessedFrame Result(bool skipped, long start) =>
        new(_output.AsMemory(0, _outputLength), _outputFormat, _outputWidth, _outputHeight, skipped,
            DecodeMs: 0, DenoiseMs: Stopwatch.GetElapsedTime(start).TotalMilliseconds, EncodeMs: 0);

    private void Remember(ReadOnlySpan<byte> data)
    {
        if (_lastInput.Length < data.Length)
        {
            _lastInput = new byte[data.Length];
        }

        data.CopyTo(_lastInput);
        _lastInputLength = data.Length;
    }

    private void Ensure(int length)
    {
        if (_output.Length < length)
        {
            _output = new byte[length];
        }
    }

    private void Invert(ReadOnlySpan<byte> data, int width, int height, int stride, bool swap)
    {
        var rowBytes = width * 3;
        Ensure(rowBytes * height);
        for (var y = 0; y < height; y++)
        {
            var src = data.Slice(y * stride, rowBytes);
            var dst = _output.AsSpan(y * rowBytes, rowBytes);
            for (var x = 0; x < rowBytes; x += 3)
            {
                dst[x] = (byte)(255 - src[swap ? x + 2 : x]);
                dst[x + 1] = (byte)(255 - src[x + 1]);
                dst[x + 2] = (byte)(255 - src[swap ? x : x + 2]);
            }
        }

        _outputLength = rowBytes * height;
        _outputFormat = FrameFormat.Rgb24;
        _outputWidth = width;
        _outputHeight = height;
    }

    private void Pattern(SessionSettings settings)
    {
        var width = settings.Width;
        var height = settings.Height;
        Ensure(width * height * 3);
        var text = settings.Prompts.Count > 0 ? settings.Prompts[0].Text : settings.Prompt;
        var hash = 17u;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        var seed = unchecked((uint)settings.Seed);
        var i = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                _output[i++] = (byte)(x + seed);
                _output[i++] = (byte)(y + (seed >> 8));
                _output[i++] = (byte)((x ^ y) + hash);
            }
        }

        _outputLength = width * height * 3;
        _outputFormat = FrameFormat.Rgb24;
        _outputWidth = width;
        _outputHeight = height;
    }
}
