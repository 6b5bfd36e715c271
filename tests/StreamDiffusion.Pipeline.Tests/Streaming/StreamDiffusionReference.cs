using StreamDiffusion.Pipeline.Streaming;
using StreamDiffusion.Pipeline.Tests.Scheduling;

namespace StreamDiffusion.Pipeline.Tests.Streaming;

/// <summary>
/// An independent re-implementation, in double precision, of cumulo-autumn/StreamDiffusion's
/// <c>predict_x0_batch</c> + <c>unet_step</c> (use_denoising_batch = True, frame_bff_size = 1,
/// do_add_noise = True), with the upstream main's guidance gate: uncond items and the CFG combination
/// only when g &gt; 1. Element slicing is exact for f = 1. The stock noise starts at zero and is
/// rolled exactly as the reference does, so with n = 1 it carries from frame to frame. The UNet is
/// <see cref="ProbeNoisePredictor"/>.
/// </summary>
internal sealed class StreamDiffusionReference
{
    private readonly int _n;
    private readonly int[] _t;
    private readonly double[] _alpha;
    private readonly double[] _beta;
    private readonly double[] _cSkip;
    private readonly double[] _cOut;
    private readonly double[][] _initNoise;
    private readonly CfgMode _cfg;
    private readonly double _g;
    private readonly double _delta;
    private readonly float[] _prompt;
    private readonly float[] _negative;
    private double[][] _stockNoise;
    private readonly double[][] _buffer;

    public StreamDiffusionReference(IReadOnlyList<int> tIndex, float[][] initNoise, CfgMode cfg, float g, float delta, float[] prompt, float[] negative)
    {
        _n = tIndex.Count;
        _t = [.. tIndex.Select(ReferenceSchedule.Timestep)];
        _alpha = new double[_n];
        _beta = new double[_n];
        _cSkip = new double[_n];
        _cOut = new double[_n];
        for (int k = 0; k < _n; k++)
        {
            (_alpha[k], _beta[k], _cSkip[k], _cOut[k]) = ReferenceSchedule.Lcm(_t[k]);
        }

        _initNoise = [.. initNoise.Select(e => e.Select(v => (double)v).ToArray())];
        _cfg = cfg;
        _g = g;
        _delta = delta;
        _prompt = prompt;
        _negative = negative;
        int length = initNoise[0].Length;
        _stockNoise = [.. Enumerable.Range(0, _n).Select(_ => new double[length])];
        _buffer = [.. Enumerable.Range(0, _n - 1).Select(_ => new double[length])];
    }

    /// <summary>UNet items of the last call.</summary>
    public int LastItems { get; private set; }

    /// <summary>One frame through encode_image's add_noise and predict_x0_batch; returns x_0_pred_out.</summary>
    public float[] Call(float[] encoded)
    {
        int length = encoded.Length;
        var xNew = new double[length];
        for (int i = 0; i < length; i++)
        {
            xNew[i] = (_alpha[0] * encoded[i]) + (_beta[0] * _initNoise[0][i]);
        }

        // predict_x0_batch: x = cat(x, buffer); stock = cat(init_noise[0:1], stock[:-1]).
        double[][] x = [xNew, .. _buffer];
        if (_n > 1)
        {
            _stockNoise = [_initNoise[0], .. _stockNoise[..^1]];
        }

        // unet_step.
        bool guided = _g > 1.0;
        var text = new double[_n][];
        var uncondReal = default(double[]);
        for (int k = 0; k < _n; k++)
        {
            text[k] = Probe(x[k], _t[k], _prompt);
        }

        LastItems = _n;
        var uncond = new double[_n][];
        if (guided && _cfg == CfgMode.Initialize)
        {
            uncondReal = Probe(x[0], _t[0], _negative);
            LastItems = _n + 1;
            _stockNoise = [uncondReal, .. _stockNoise[1..]];
        }
        else if (guided && _cfg == CfgMode.Full)
        {
            for (int k = 0; k < _n; k++)
            {
                uncond[k] = Probe(x[k], _t[k], _negative);
            }

            LastItems = 2 * _n;
        }

        var modelPred = new double[_n][];
        for (int k = 0; k < _n; k++)
        {
            if (guided && _cfg is CfgMode.Self or CfgMode.Initialize)
            {
                uncond[k] = [.. _stockNoise[k].Select(s => s * _delta)];
            }

            modelPred[k] = guided && _cfg != CfgMode.None
                ? [.. text[k].Select((c, i) => uncond[k][i] + (_g * (c - uncond[k][i])))]
                : text[k];
        }

        var denoised = new double[_n][];
        for (int k = 0; k < _n; k++)
        {
            denoised[k] = Step(modelPred[k], x[k], k);
        }

        if (_cfg is CfgMode.Self or CfgMode.Initialize)
        {
            var next = new double[_n][];
            for (int k = 0; k < _n; k++)
            {
                double[] scaled = [.. _stockNoise[k].Select(s => _beta[k] * s)];
                double[] deltaX = Step(modelPred[k], scaled, k);
                double alphaNext = k + 1 < _n ? _alpha[k + 1] : 1.0;
                double betaNext = k + 1 < _n ? _beta[k + 1] : 1.0;
                double[] initRolled = _initNoise[(k + 1) % _n];
                next[k] = [.. deltaX.Select((d, i) => initRolled[i] + (alphaNext * d / betaNext))];
            }

            _stockNoise = next;
        }

        if (_n > 1)
        {
            for (int k = 0; k < _n - 1; k++)
            {
                _buffer[k] = [.. denoised[k].Select((d, i) => (_alpha[k + 1] * d) + (_beta[k + 1] * _initNoise[k + 1][i]))];
            }

            return [.. denoised[_n - 1].Select(v => (float)v)];
        }

        return [.. denoised[0].Select(v => (float)v)];
    }

    private double[] Step(double[] eps, double[] x, int k)
    {
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double f = (x[i] - (_beta[k] * eps[i])) / _alpha[k];
            result[i] = (_cOut[k] * f) + (_cSkip[k] * x[i]);
        }

        return result;
    }

    private static double[] Probe(double[] x, int t, float[] embedding)
    {
        float[] xf = [.. x.Select(v => (float)v)];
        var eps = new float[xf.Length];
        ProbeNoisePredictor.Predict(xf, t, embedding, eps);
        return [.. eps.Select(v => (double)v)];
    }
}
