using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using StreamDiffusion.LoadTest.Frames;
using StreamDiffusion.Soak;

var server = new Option<string>("--server") { Description = "gRPC address of the host", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
var http = new Option<string>("--http") { Description = "HTTP address of the host (/metrics)", DefaultValueFactory = _ => "http://127.0.0.1:8080/" };
var images = new Option<string>("--images") { Description = "Folder of photos to make frames from", DefaultValueFactory = _ => Path.Combine("..", "shared", "data", "images") };
var output = new Option<string>("--output") { Description = "Folder for soak.json and soak.png", DefaultValueFactory = _ => Path.Combine("artifacts", "soak") };
var duration = new Option<TimeSpan>("--duration") { Description = "How long clients keep coming (hh:mm:ss)", DefaultValueFactory = _ => TimeSpan.FromMinutes(20) };
var clients = new Option<int>("--clients") { Description = "Concurrent misbehaving clients", DefaultValueFactory = _ => 4 };
var fps = new Option<double>("--fps") { Description = "Frames per second each client sends", DefaultValueFactory = _ => 8 };
var size = new Option<int>("--size") { Description = "Session size in pixels", DefaultValueFactory = _ => 256 };
var seed = new Option<int>("--seed") { Description = "Seed of the clients' choices", DefaultValueFactory = _ => 1 };
var root = new RootCommand("Bounded soak of a running StreamDiffusion.Net host; exit 0 when it reached a steady state")
{
    server, http, images, output, duration, clients, fps, size, seed,
};
root.SetAction(async (parse, cancel) =>
{
    var options = new SoakOptions
    {
        Server = new Uri(parse.GetValue(server)!),
        Http = new Uri(parse.GetValue(http)!),
        Images = parse.GetValue(images)!,
        Output = parse.GetValue(output)!,
        Duration = parse.GetValue(duration),
        Clients = parse.GetValue(clients),
        Fps = parse.GetValue(fps),
        Size = parse.GetValue(size),
        Seed = parse.GetValue(seed),
    };
    return await RunAsync(options, cancel);
});
return await root.Parse(args).InvokeAsync();

static async Task<int> RunAsync(SoakOptions options, CancellationToken cancel)
{
    Directory.CreateDirectory(options.Output);
    var frames = FrameLibrary.Load(options.Images, options.Size, clipLength: 24);
    var tally = new SoakTally();
    using var httpClient = new HttpClient { BaseAddress = options.Http };
    var sampler = new HostSampler(httpClient);
    var samples = new List<HostSample>();
    var clock = Stopwatch.StartNew();
    using var stopClients = CancellationTokenSource.CreateLinkedTokenSource(cancel);
    stopClients.CancelAfter(options.Duration);
    var workers = Enumerable.Range(0, options.Clients)
        .Select(i => Task.Run(() => new SoakClient(i, options, frames, tally).RunAsync(stopClients.Token), CancellationToken.None))
        .ToArray();

    Console.Error.WriteLine($"soak: {options.Clients} clients for {options.Duration} against {options.Server}, sampling {options.Http}metrics");
    while (!stopClients.IsCancellationRequested)
    {
        var sample = await sampler.SampleAsync(clock.Elapsed.TotalSeconds, tally.DrainLatencies(), cancel);
        samples.Add(sample);
        Console.Error.WriteLine(
            $"{sample.Seconds,7:0}s  rss {sample.RssMb,6:0.0} MB  heap {sample.ManagedHeapMb,6:0.0} MB  threads {sample.Threads,3}  " +
            $"handles {sample.Handles,4}  sessions {sample.SessionsActive}  p50 {sample.LatencyP50Ms,6:0.0} ms  frames {sample.FramesAnswered}");
        try
        {
            await Task.Delay(options.SampleInterval, stopClients.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    await Task.WhenAll(workers);

    // Every client has left: the host must come back to zero sessions within a few seconds.
    double sessionsAfter = -1;
    for (var i = 0; i < 20 && sessionsAfter != 0; i++)
    {
        await Task.Delay(500, CancellationToken.None);
        sessionsAfter = (await sampler.SampleAsync(clock.Elapsed.TotalSeconds, [], CancellationToken.None)).SessionsActive;
    }

    var verdict = SoakVerdict.From(samples, sessionsAfter);
    var report = new
    {
        options.Duration,
        options.Clients,
        options.Fps,
        options.Size,
        options.Seed,
        steady = verdict.Steady,
        findings = verdict.Findings,
        rss_slope_mb_per_minute_second_half = verdict.RssSlopeMbPerMinute,
        counts = tally.Snapshot(),
        machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
        samples,
    };
    var json = Path.Combine(options.Output, "soak.json");
    await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }), CancellationToken.None);
    var png = Path.Combine(options.Output, "soak.png");
    SoakPlot.Write(samples, png, $"Soak: {options.Clients} misbehaving clients, {options.Duration.TotalMinutes:0.#} min");
    foreach (var finding in verdict.Findings)
    {
        Console.WriteLine(finding);
    }

    foreach (var (key, value) in tally.Snapshot())
    {
        Console.WriteLine($"{key}: {value}");
    }

    Console.WriteLine($"RSS slope over the second half: {verdict.RssSlopeMbPerMinute} MB/min");
    Console.WriteLine($"{(verdict.Steady ? "STEADY" : "NOT STEADY")}: {json}, {png}");
    return verdict.Steady ? 0 : 1;
}
