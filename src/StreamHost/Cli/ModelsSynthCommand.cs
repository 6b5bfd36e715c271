using System.CommandLine;
using Spectre.Console;
using StreamDiffusion.Pipeline.Models.Synthetic;

namespace StreamDiffusion.StreamHost.Cli;

/// <summary><c>models synth --out DIR ...</c>: writes a synthetic model pack with the optimum contracts.</summary>
public static class ModelsSynthCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the pack into", Required = true };
        var family = new Option<string>("--family") { Description = "sd-turbo (1024-wide, pads with '!') or sd15 (768-wide)", DefaultValueFactory = _ => "sd-turbo" };
        family.AcceptOnlyFromAmong("sd-turbo", "sd15");
        var size = new Option<int>("--size") { Description = "Image size in pixels (multiple of 8)", DefaultValueFactory = _ => 512 };
        var taesd = new Option<bool>("--taesd") { Description = "Also write a tiny autoencoder (taesd_encoder/, taesd_decoder/)" };
        var video = new Option<bool>("--video") { Description = "Write a video denoiser: sample [B,4,F,h,w], timestep [B,F]" };
        var tokenizer = new Option<DirectoryInfo?>("--tokenizer") { Description = "Folder with a CLIP vocab.json and merges.txt to copy (default: a small built-in byte-level vocabulary)" };
        var seed = new Option<int>("--seed") { Description = "Seed of every weight", DefaultValueFactory = _ => 1234 };
        var fp16 = new Option<bool>("--fp16") { Description = "fp16 inputs/outputs for the UNet and VAE" };
        var computeLayers = new Option<int>("--compute-layers") { Description = "Extra 3x3 conv layers in the UNet, to model a compute-bound denoiser", DefaultValueFactory = _ => 0 };
        var command = new Command("synth", "Write a synthetic model pack (real ONNX files with the optimum contracts, seeded weights)")
        {
            output, family, size, taesd, video, tokenizer, seed, fp16, computeLayers,
        };
        command.SetAction(parseResult =>
        {
            var options = new SyntheticPackOptions
            {
                Family = parseResult.GetValue(family) == "sd15" ? SyntheticFamily.Sd15 : SyntheticFamily.SdTurbo,
                ImageSize = parseResult.GetValue(size),
                Taesd = parseResult.GetValue(taesd),
                Video = parseResult.GetValue(video),
                TokenizerSource = parseResult.GetValue(tokenizer)?.FullName,
                Seed = parseResult.GetValue(seed),
                Float16 = parseResult.GetValue(fp16),
                ComputeLayers = parseResult.GetValue(computeLayers),
            };
            var target = parseResult.GetValue(output)!.FullName;
            try
            {
                options.Validate();
                var started = System.Diagnostics.Stopwatch.StartNew();
                SyntheticPackWriter.Write(target, options);
                AnsiConsole.MarkupLineInterpolated($"Wrote {parseResult.GetValue(family)} pack ({options.ImageSize}px{(options.Taesd ? ", taesd" : string.Empty)}{(options.Video ? ", video" : string.Empty)}) to {target} in {started.ElapsedMilliseconds} ms");
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
