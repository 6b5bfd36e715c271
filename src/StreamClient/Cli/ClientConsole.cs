using Spectre.Console;

namespace StreamDiffusion.StreamClient.Cli;

/// <summary>The client's console: progress and summary output, the error stream, and the prompt input.</summary>
/// <param name="Out">Progress lines and the summary.</param>
/// <param name="Error">The one-line error of a failed run.</param>
/// <param name="PromptInput">Lines typed while running (each a new prompt); null when stdin is not interactive.</param>
/// <param name="LiveProgress">Redraw one progress line in place (interactive terminal) instead of printing lines.</param>
public sealed record ClientConsole(IAnsiConsole Out, TextWriter Error, TextReader? PromptInput, bool LiveProgress);
