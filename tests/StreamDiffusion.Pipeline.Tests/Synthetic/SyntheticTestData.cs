using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace StreamDiffusion.Pipeline.Tests.Synthetic;

/// <summary>Paths to the shared test data, image loading, ONNX Runtime calls and metrics for the synthetic-pack tests.</summary>
internal static class SyntheticTestData
{
    private static readonly Lazy<string> s_root = new(FindSharedData);

    /// <summary>The shared data folder, <c>../shared/data</c> relative to the repository root.</summary>
    public static string SharedData => s_root.Value;

    public static string ClipFolder => Path.Combine(SharedData, "clip");

    public static IReadOnlyList<string> ImagePaths() =>
        Directory.GetFiles(Path.Combine(SharedData, "images")).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Loads a photo, center-crops it to a square, resizes to size x size and returns RGB CHW in [0,1].</summary>
    public static float[] LoadImage01(string path, int size)
    {
        using var bgr = Cv2.ImRead(path, ImreadModes.Color);
        if (bgr.Empty())
        {
            throw new InvalidOperationException($"Could not read {path}.");
        }

        int side = Math.Min(bgr.Width, bgr.Height);
        using var cropped = new Mat(bgr, new Rect((bgr.Width - side) / 2, (bgr.Height - side) / 2, side, side));
        using var resized = new Mat();
        Cv2.Resize(cropped, resized, new Size(size, size), 0, 0, side >= size ? InterpolationFlags.Area : InterpolationFlags.Cubic);
        var chw = new float[3 * size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                var px = resized.At<Vec3b>(y, x);
                chw[(0 * size * size) + (y * size) + x] = px.Item2 / 255f;
                chw[(1 * size * size) + (y * size) + x] = px.Item1 / 255f;
                chw[(2 * size * size) + (y * size) + x] = px.Item0 / 255f;
            }
        }

        return chw;
    }

    /// <summary>Runs a session on float32 inputs and returns every output as float32.</summary>
    public static Dictionary<string, float[]> Run(InferenceSession session, params (string Name, OrtValue Value)[] inputs)
    {
        try
        {
            using var results = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), session.OutputNames.ToArray());
            var outputs = new Dictionary<string, float[]>();
            for (int i = 0; i < results.Count; i++)
            {
                var value = results[i];
                var type = value.GetTensorTypeAndShape().ElementDataType;
                outputs[session.OutputNames[i]] = type == TensorElementType.Float16
                    ? value.GetTensorDataAsSpan<Float16>().ToArray().Select(h => (float)h).ToArray()
                    : value.GetTensorDataAsSpan<float>().ToArray();
            }

            return outputs;
        }
        finally
        {
            foreach (var (_, value) in inputs)
            {
                value.Dispose();
            }
        }
    }

    public static OrtValue Tensor(float[] data, params long[] shape) => OrtValue.CreateTensorValueFromMemory(data, shape);

    public static OrtValue Tensor(long[] data, params long[] shape) => OrtValue.CreateTensorValueFromMemory(data, shape);

    public static OrtValue Half(float[] data, params long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(data.Select(v => (Float16)v).ToArray(), shape);

    /// <summary>CLIP-style ids: BOS, the tokens, EOS, then padding to 77.</summary>
    public static long[] Ids(int padId, params long[] tokens)
    {
        var ids = new long[77];
        Array.Fill(ids, (long)padId);
        ids[0] = 49406;
        tokens.CopyTo(ids, 1);
        ids[tokens.Length + 1] = 49407;
        return ids;
    }

    public static double Mse(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }

        return sum / a.Length;
    }

    /// <summary>PSNR in dB of two images with values in [0,1].</summary>
    public static double Psnr01(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => 10 * Math.Log10(1 / Mse(a, b));

    public static float[] Gaussian(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return values;
    }

    private static string FindSharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamDiffusion.Net.sln")))
            {
                var data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                if (Directory.Exists(data))
                {
                    return data;
                }

                throw new DirectoryNotFoundException($"Shared test data not found at {data}.");
            }
        }

        throw new DirectoryNotFoundException("No folder containing StreamDiffusion.Net.sln above " + AppContext.BaseDirectory);
    }
}
