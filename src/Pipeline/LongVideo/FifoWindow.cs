namespace StreamDiffusion.Pipeline.LongVideo;

/// <summary>
/// One denoiser window over the queue: it reads <see cref="FifoSchedule.Window"/> slots from
/// <see cref="Start"/> and writes back only [<see cref="WriteStart"/>, <see cref="WriteEnd"/>) (the whole
/// window without lookahead, its noisier half with it).
/// </summary>
/// <param name="Start">First slot read.</param>
/// <param name="WriteStart">First slot written.</param>
/// <param name="WriteEnd">One past the last slot written.</param>
public readonly record struct FifoWindow(int Start, int WriteStart, int WriteEnd);
