using System.Diagnostics;
using System.Text.Json;
using SharpFuzz;
using StreamDiffusion.Fuzz;

// streamdiffusion-fuzz list
// streamdiffusion-fuzz seeds TARGET DIR                      write the target's seed corpus (for AFL++'s -i)
// streamdiffusion-fuzz afl TARGET                            run under afl-fuzz (SharpFuzz-instrumented assemblies)
// streamdiffusion-fuzz random TARGET [CASES] [SEED]          in-process mutation without coverage; JSON summary
// streamdiffusion-fuzz replay TARGET FILE...                 run saved inputs (e.g. AFL++ crashes) and show the error
var verb = args.Length > 0 ? args[0] : "list";
if (verb == "afl" && args.Length == 2)
{
    // Under AFL++ the instrumented assemblies may run only inside the fuzzer's callback, once the coverage map is
    // attached: the targets (whose constructor already runs instrumented code) are created on the first input.
    // Out of process: the inputs run in a child process that SharpFuzz restarts when it dies, so a native fault in
    // a codec (OpenCV, libpng, libjpeg) is saved as a crash with its input instead of taking down AFL++'s fork
    // server (in-process, the frame decoder lost the fork server after a few thousand executions, input unknown).
    var name = args[1];
    EdgeTargets? aflTargets = null;
    FuzzInput? run = null;
    Fuzzer.OutOfProcess.Run(stream =>
    {
        aflTargets ??= new EdgeTargets();
        run ??= aflTargets.Get(name).Run;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    });
    return 0;
}

using var targets = new EdgeTargets();
switch (verb)
{
    case "list":
        foreach (var t in targets.All)
        {
            Console.WriteLine($"{t.Name,-18} {t.Description}");
        }

        return 0;
    case "seeds" when args.Length == 3:
        var target = targets.Get(args[1]);
        Directory.CreateDirectory(args[2]);
        var seeds = target.Seeds();
        for (var i = 0; i < seeds.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(args[2], $"seed-{i:D2}"), seeds[i]);
        }

        return 0;
    case "random" when args.Length is >= 2 and <= 4:
        return RunRandom(targets.Get(args[1]), args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10_000,
            args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1);
    case "replay" when args.Length >= 3:
        var replayTarget = targets.Get(args[1]);
        var failed = 0;
        foreach (var file in args.Skip(2))
        {
            try
            {
                replayTarget.Run(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: ok");
            }
            catch (Exception ex)
            {
                failed++;
                Console.WriteLine($"{file}: {ex}");
            }
        }

        return failed == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: streamdiffusion-fuzz list | seeds TARGET DIR | afl TARGET | random TARGET [CASES] [SEED] | replay TARGET FILE...");
        return 2;
}

static int RunRandom(FuzzTarget target, int cases, int seed)
{
    var mutator = new RandomMutator(target.Seeds(), seed);
    var watch = Stopwatch.StartNew();
    var defects = 0;
    string? first = null;
    for (var i = 0; i < cases; i++)
    {
        var input = mutator.Next();
        try
        {
            target.Run(input);
        }
        catch (Exception ex)
        {
            defects++;
            first ??= $"case {i}: {ex.GetType().Name}: {ex.Message} (input {Convert.ToBase64String(input)})";
        }
    }

    Console.WriteLine(JsonSerializer.Serialize(new
    {
        target = target.Name,
        mode = "random",
        cases,
        seed,
        defects,
        first_defect = first,
        seconds = Math.Round(watch.Elapsed.TotalSeconds, 1),
    }));
    return defects == 0 ? 0 : 1;
}
