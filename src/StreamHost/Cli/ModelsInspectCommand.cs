using System.CommandLine;
using Spectre.Console;
using StreamDiffusion.Pipeline.Models;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary><c>models inspect DIR</c>: every ONNX file's inputs/outputs and what the loader concluded.</summary>
public static class ModelsInspectCommand
{
    public static Command Create()
    {
        var directory = new Argument<DirectoryInfo>("dir") { Description = "Model pack folder (optimum layout)" };
        var command = new Command("inspect", "Print every ONNX file's inputs/outputs and what the loader concluded about the pack") { directory };
        command.SetAction(parseResult =>
        {
            var dir = parseResult.GetValue(directory)!;
            ModelPackInspection inspection;
            try
            {
                inspection = ModelPackInspection.Inspect(dir.FullName);
            }
            catch (ModelPackException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return 2;
            }

            Write(inspection, AnsiConsole.Console);
            return inspection.LoadError is null ? 0 : 1;
        });
        return command;
    }

    /// <summary>Renders an inspection as tables (one per ONNX file, then the conclusions).</summary>
    public static void Write(ModelPackInspection inspection, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(inspection);
        ArgumentNullException.ThrowIfNull(console);
        console.MarkupLineInterpolated($"[bold]Model pack[/] {inspection.Directory}");
        foreach (var file in inspection.Files)
        {
            var table = new Table().Title(file.RelativePath).AddColumns("io", "name", "type", "shape");
            if (file.Error is not null)
            {
                table.AddRow("error", Markup.Escape(file.Error), string.Empty, string.Empty);
            }

            foreach (var input in file.Inputs)
            {
                table.AddRow("input", Markup.Escape(input.Name), input.ElementTypeText, Markup.Escape(input.ShapeText));
            }

            foreach (var output in file.Outputs)
            {
                table.AddRow("output", Markup.Escape(output.Name), output.ElementTypeText, Markup.Escape(output.ShapeText));
            }

            console.Write(table);
        }

        if (inspection.LoadError is not null)
        {
            console.MarkupLineInterpolated($"[red]loader refused the pack:[/] {inspection.LoadError}");
            return;
        }

        var conclusions = new Table().Title("loader conclusions").AddColumns("what", "value");
        foreach (var (key, value) in inspection.Conclusions)
        {
            conclusions.AddRow(Markup.Escape(key), Markup.Escape(value));
        }

        console.Write(conclusions);
    }
}
