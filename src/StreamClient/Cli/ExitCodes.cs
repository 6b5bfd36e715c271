namespace StreamDiffusion.StreamClient.Cli;

/// <summary>Process exit codes of <c>streamclient</c>.</summary>
public static class ExitCodes
{
    /// <summary>The stream ran to its end (or was stopped by the user) and the summary was printed.</summary>
    public const int Ok = 0;

    /// <summary>Bad arguments, or the input / output could not be opened or read.</summary>
    public const int InvalidInput = 1;

    /// <summary>The host could not be reached, or it ended the call with an error status.</summary>
    public const int ServerError = 2;
}
