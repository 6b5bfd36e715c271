namespace StreamDiffusion.Pipeline.Models;

/// <summary>The ONNX Runtime execution provider a model pack runs on.</summary>
public enum ExecutionProvider
{
    /// <summary>The CPU provider, present in every ONNX Runtime build.</summary>
    Cpu,

    /// <summary>NVIDIA CUDA (needs the Microsoft.ML.OnnxRuntime.Gpu build, CUDA 13 and cuDNN 9).</summary>
    Cuda,

    /// <summary>NVIDIA TensorRT (GPU build plus TensorRT 10); CUDA takes the nodes TensorRT cannot.</summary>
    TensorRT,
}
