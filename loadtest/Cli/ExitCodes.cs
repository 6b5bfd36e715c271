namespace StreamDiffusion.LoadTest.Cli;

/// <summary>Process exit codes of <c>loadtest</c>.</summary>
public static class ExitCodes
{
    /// <summary>The run finished and frames came back.</summary>
    public const int Ok = 0;

    /// <summary>The run finished but no frame came back (hosts unreachable or refusing).</summary>
    public const int NothingServed = 1;

    /// <summary>Bad arguments or input images.</summary>
    public const int InvalidInput = 2;
}
