namespace StreamDiffusion.StreamClient.Reporting;

/// <summary>
/// Turns lines typed on the console into prompt changes: every non-blank line is a new prompt. Stops at the end
/// of the input (stdin closed) or on cancellation.
/// </summary>
public static class PromptReader
{
    /// <summary>Reads <paramref name="reader"/> line by line and hands each trimmed, non-blank line to <paramref name="onPrompt"/>.</summary>
    /// <returns>The number of prompts handed on.</returns>
    public static async Task<int> RunAsync(TextReader reader, Action<string> onPrompt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(onPrompt);
        var count = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // A console that goes away is the same as a closed one.
                break;
            }

            if (line is null)
            {
                break;
            }

            line = line.Trim();
            if (line.Length > 0)
            {
                onPrompt(line);
                count++;
            }
        }

        return count;
    }
}
