using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using OpenCvSharp;
using StreamDiffusion.Pipeline.Imaging;
using StreamDiffusion.Pipeline.Models.Tokenization;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.LongVideo;
using StreamDiffusion.StreamHost.Options;
using StreamDiffusion.StreamHost.Services;
using StreamDiffusion.StreamHost.Sessions;
using StreamDiffusion.StreamHost.Web;
using FrameFormat = StreamDiffusion.Pipeline.Imaging.FrameFormat;
using WireFormat = StreamDiffusion.Protos.V1.FrameFormat;

namespace StreamDiffusion.Fuzz;

/// <summary>
/// The fuzz targets: everything a client controls on its way into the host, fed from arbitrary bytes. Each target
/// accepts, or rejects with the precise error the edge promises; anything else (another exception type, a
/// rejection without a field name, a decoded tensor outside its range) is a defect.
/// </summary>
public sealed class EdgeTargets : IDisposable
{
    // Small model size keeps each decode cheap; the limits are the host's defaults.
    private const int ModelSize = 64;

    private static readonly ModelDescriptor s_model = new("default", string.Empty, "CPU", 512, IsDefault: true);
    private static readonly LimitsOptions s_limits = new();

    private readonly FrameDecoder _decoder = new(new FrameDecoderOptions { Width = ModelSize, Height = ModelSize });
    private readonly float[] _tensor = new float[3 * ModelSize * ModelSize];
    private readonly Lazy<ClipTokenizer> _tokenizer = new(CreateTokenizer);

    /// <summary>Every target, by name.</summary>
    public IReadOnlyList<FuzzTarget> All =>
    [
        new("frame-decoder", "header bytes (format, width, height, stride) + payload into FrameDecoder.Decode", FrameDecoderInput, FrameDecoderSeeds),
        new("frame-validation", "a protobuf InputFrame into FrameValidator, then the decoder for what it accepts", FrameValidationInput, FrameValidationSeeds),
        new("session-config", "a protobuf SessionConfig + ControlUpdate into the config/control validators and the tokenizer", SessionConfigInput, SessionConfigSeeds),
        new("websocket-json", "a WebSocket text message into the JSON reader, the validators and the tokenizer", WebSocketJsonInput, WebSocketJsonSeeds),
        new("websocket-video-json", "a /ws/video request and control message into the JSON reader, the long-video validator and the tokenizer", WebSocketVideoJsonInput, WebSocketVideoJsonSeeds),
    ];

    /// <summary>The target called <paramref name="name"/>.</summary>
    public FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown target '{name}'; targets: {string.Join(", ", All.Select(t => t.Name))}", nameof(name));

    public void Dispose() => _decoder.Dispose();

    private void FrameDecoderInput(ReadOnlySpan<byte> data)
    {
        if (data.Length < 6)
        {
            return;
        }

        var format = (data[0] % 5) switch
        {
            0 => FrameFormat.Jpeg,
            1 => FrameFormat.Png,
            2 => FrameFormat.Rgb24,
            3 => FrameFormat.Bgr24,
            _ => (FrameFormat)data[0],
        };
        var width = BinaryPrimitives.ReadUInt16LittleEndian(data[1..]) % 4100;
        var height = BinaryPrimitives.ReadUInt16LittleEndian(data[3..]) % 4100;
        var stride = data[5] == 0 ? 0 : (width * 3) + (data[5] % 9) - 4;
        Decode(data[6..], new FrameDescriptor(format, width, height, stride));
    }

    private void FrameValidationInput(ReadOnlySpan<byte> data)
    {
        InputFrame frame;
        try
        {
            frame = InputFrame.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException)
        {
            return; // gRPC itself refuses a message that is not protobuf.
        }

        var problem = FrameValidator.Validate(frame, GenerationMode.Img2Img, s_limits);
        if (problem is not null)
        {
            Rejections.CheckFieldMessage(problem, "frame.");
            return;
        }

        // What validation lets through must decode or fail with a decoder message, never anything else.
        var stride = FrameValidator.EffectiveStride(frame);
        var format = frame.Format switch
        {
            WireFormat.Jpeg => FrameFormat.Jpeg,
            WireFormat.Png => FrameFormat.Png,
            WireFormat.Rgb24 => FrameFormat.Rgb24,
            _ => FrameFormat.Bgr24,
        };
        Decode(frame.Data.Span, new FrameDescriptor(format, frame.Width, frame.Height, stride));
    }

    private void Decode(ReadOnlySpan<byte> payload, FrameDescriptor frame)
    {
        try
        {
            _decoder.Decode(payload, frame, _tensor);
        }
        catch (FrameFormatException ex)
        {
            if (string.IsNullOrWhiteSpace(ex.Message))
            {
                throw new FuzzDefectException("decoder rejected a frame without a message", ex);
            }

            return;
        }

        foreach (var v in _tensor)
        {
            if (!float.IsFinite(v) || v < -1.0001f || v > 1.0001f)
            {
                throw new FuzzDefectException($"decoded tensor value {v} outside [-1, 1]");
            }
        }
    }

    private void SessionConfigInput(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var split = Math.Min(data[0], data.Length - 1);
        SessionConfig config;
        ControlUpdate control;
        try
        {
            config = SessionConfig.Parser.ParseFrom(data.Slice(1, split));
            control = ControlUpdate.Parser.ParseFrom(data[(1 + split)..]);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }

        ValidateConfigAndControl(config, control);
    }

    private void WebSocketJsonInput(ReadOnlySpan<byte> data)
    {
        // The first text message is a config; every later one a control. Feed both from one input, split at a
        // newline when there is one, so the fuzzer can reach both readers.
        var newline = data.IndexOf((byte)'\n');
        var first = newline < 0 ? data : data[..newline];
        var second = newline < 0 ? ReadOnlySpan<byte>.Empty : data[(newline + 1)..];
        SessionConfig config;
        try
        {
            config = WebSocketJson.ParseConfig(first);
        }
        catch (RpcException ex)
        {
            Rejections.CheckInvalidArgument(ex, "config");
            return;
        }

        ControlUpdate? control = null;
        if (!second.IsEmpty)
        {
            try
            {
                control = WebSocketJson.ParseControl(second);
            }
            catch (RpcException ex)
            {
                Rejections.CheckInvalidArgument(ex, "control");
            }
        }

        ValidateConfigAndControl(config, control);
    }

    private void WebSocketVideoJsonInput(ReadOnlySpan<byte> data)
    {
        // As /ws/video reads them: a GenerateVideoRequest first, then prompt changes; split at a newline.
        var newline = data.IndexOf((byte)'\n');
        var first = newline < 0 ? data : data[..newline];
        var second = newline < 0 ? ReadOnlySpan<byte>.Empty : data[(newline + 1)..];
        try
        {
            var request = WebSocketJson.ParseVideoRequest(first);
            var (options, settings) = LongVideoRequestValidator.Validate(request, s_model, s_limits);
            options.Validate();
            Tokenize(settings);
            foreach (var keyframe in options.Prompts)
            {
                _tokenizer.Value.Tokenize(keyframe.Text);
            }
        }
        catch (RpcException ex)
        {
            Rejections.CheckInvalidArgument(ex, string.Empty);
            return;
        }

        if (second.IsEmpty)
        {
            return;
        }

        try
        {
            var control = WebSocketJson.ParseVideoControl(second);
            _tokenizer.Value.Tokenize(control.Prompt);
        }
        catch (RpcException ex)
        {
            Rejections.CheckInvalidArgument(ex, "control");
        }
    }

    private void ValidateConfigAndControl(SessionConfig config, ControlUpdate? control)
    {
        SessionSettings settings;
        try
        {
            settings = SessionSettingsValidator.FromConfig(config, s_model, s_limits);
        }
        catch (RpcException ex)
        {
            Rejections.CheckInvalidArgument(ex, "config.");
            return;
        }

        Tokenize(settings);
        if (control is null)
        {
            return;
        }

        try
        {
            settings = SessionSettingsValidator.ApplyControl(settings, control);
        }
        catch (RpcException ex)
        {
            Rejections.CheckInvalidArgument(ex, "control.");
            return;
        }

        Tokenize(settings);
    }

    // Accepted text goes to the CLIP tokenizer next: it must take whatever validation let through.
    private void Tokenize(SessionSettings settings)
    {
        var tokenizer = _tokenizer.Value;
        tokenizer.Tokenize(settings.Prompt);
        tokenizer.Tokenize(settings.NegativePrompt);
        foreach (var p in settings.Prompts)
        {
            tokenizer.Tokenize(p.Text);
        }
    }

    private static ClipTokenizer CreateTokenizer()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdnet-fuzz-tokenizer");
        if (!File.Exists(Path.Combine(dir, "vocab.json")))
        {
            BuiltInClipVocabulary.WriteTo(dir, padWithExclamation: false);
        }

        return ClipTokenizer.FromDirectory(dir);
    }

    private static IReadOnlyList<byte[]> FrameDecoderSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (var (selector, bytes) in new[] { (0, Encode(".jpg")), (1, Encode(".png")) })
        {
            seeds.Add([(byte)selector, 0, 0, 0, 0, 0, .. bytes]);
        }

        var raw = new byte[16 * 8 * 3];
        Random.Shared.NextBytes(raw);
        seeds.Add([2, 16, 0, 8, 0, 0, .. raw]);
        seeds.Add([3, 16, 0, 8, 0, 0, .. raw]);
        return seeds;
    }

    private static IReadOnlyList<byte[]> FrameValidationSeeds() =>
    [
        new InputFrame { Format = WireFormat.Jpeg, Data = ByteString.CopyFrom(Encode(".jpg")), Sequence = 1 }.ToByteArray(),
        new InputFrame { Format = WireFormat.Png, Data = ByteString.CopyFrom(Encode(".png")), Width = 16, Height = 8 }.ToByteArray(),
        new InputFrame { Format = WireFormat.Rgb24, Data = ByteString.CopyFrom(new byte[16 * 8 * 3]), Width = 16, Height = 8 }.ToByteArray(),
        new InputFrame { Format = WireFormat.Bgr24, Data = ByteString.CopyFrom(new byte[20 * 8]), Width = 6, Height = 8, Stride = 20 }.ToByteArray(),
    ];

    private static IReadOnlyList<byte[]> SessionConfigSeeds()
    {
        var config = new SessionConfig { Prompt = "a watercolor painting", Width = 512, Height = 512, CfgType = CfgType.Self, GuidanceScale = 1.2f };
        config.TIndexList.Add([32, 45]);
        var weighted = new SessionConfig { NegativePrompt = "blurry", Quality = 90, Seed = 7 };
        weighted.Prompts.Add(new WeightedPrompt { Text = "a cat", Weight = 0.7f });
        weighted.Prompts.Add(new WeightedPrompt { Text = "a dog", Weight = 0.3f });
        var control = new ControlUpdate { Prompt = "an oil painting", GuidanceScale = 1.5f, Delta = 0.8f };
        return [Join(config, control), Join(weighted, new ControlUpdate()), Join(new SessionConfig(), control)];

        static byte[] Join(SessionConfig c, ControlUpdate u)
        {
            var a = c.ToByteArray();
            return [(byte)Math.Min(a.Length, 255), .. a, .. u.ToByteArray()];
        }
    }

    private static IReadOnlyList<byte[]> WebSocketJsonSeeds() =>
    [
        Encoding.UTF8.GetBytes("""{"type":"config","prompt":"a watercolor painting","width":512,"height":512,"cfg_type":"self","t_index_list":[32,45]}""" + "\n" + """{"type":"control","prompt":"an oil painting","guidance_scale":1.4}"""),
        Encoding.UTF8.GetBytes("""{"prompts":[{"text":"a cat","weight":0.5},{"text":"a dog","weight":0.5}],"output_encoding":"png","similarity_filter":{"enabled":true,"threshold":0.98}}"""),
        Encoding.UTF8.GetBytes("""{"negative_prompt":"blurry","seed":3,"quality":80}""" + "\n" + """{"t_index_list":{"values":[20,42]}}"""),
    ];

    private static IReadOnlyList<byte[]> WebSocketVideoJsonSeeds() =>
    [
        Encoding.UTF8.GetBytes("""{"prompts":[{"start_frame":0,"text":"a red fox running through snow"},{"start_frame":48,"text":"a deep blue ocean"}],"width":256,"height":256,"num_partitions":2,"coherent_tail":true}""" + "\n" + """{"type":"control","prompt":"a calm forest at dawn"}"""),
        Encoding.UTF8.GetBytes("""{"prompts":[{"text":"a lighthouse"}],"sampler":"lcm","subject_guidance":true,"subject_guidance_step":0.5,"lookahead":true,"output_encoding":"png","quality":80}"""),
        Encoding.UTF8.GetBytes("""{"prompts":[{"text":"a city at night"}],"num_frames":300,"model":"default","seed":7}""" + "\n" + """{"session_id":"0123456789ab","prompt":"rain"}"""),
    ];

    private static byte[] Encode(string extension)
    {
        using var image = new Mat(8, 16, MatType.CV_8UC3, new Scalar(40, 120, 200));
        Cv2.Circle(image, new Point(8, 4), 3, new Scalar(250, 10, 10), -1);
        return image.ImEncode(extension);
    }
}
