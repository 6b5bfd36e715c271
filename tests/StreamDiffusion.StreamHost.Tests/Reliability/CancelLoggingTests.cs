using Serilog.Events;

namespace StreamDiffusion.StreamHost.Tests.Reliability;

public sealed class CancelLoggingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_cancel_is_an_information_line_not_an_error(bool afterAFrame)
    {
        var log = new CapturedLog();
        await using var host = await LoopbackHost.StartAsync(s =>
        {
            LoopbackHost.UseEcho(s);
            log.AddTo(s);
        });
        const int calls = 20;
        for (var i = 0; i < calls; i++)
        {
            using var cts = new CancellationTokenSource();
            using (var call = host.Client.Stream(cancellationToken: cts.Token))
            {
                await call.RequestStream.WriteAsync(Frames.Config(Frames.RawConfig()));
                if (afterAFrame)
                {
                    await call.RequestStream.WriteAsync(Frames.Request(Frames.Raw(8, 8, 1, 1)));
                }

                if (i % 2 == 0)
                {
                    // Every other call is cancelled after its session started, so some sessions surely end.
                    Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                }

                await Task.Delay(i % 5);
                await cts.CancelAsync();
            }

            // Cancelling resets the stream (RST_STREAM CANCEL) at some point of the session's start. The one-second
            // promise is CancelTests' to check; here only the log line matters, so wait generously under load.
            await CancelTests.WaitForNoSessionsAsync(host, TimeSpan.FromSeconds(10), $"call {i + 1}");
        }

        await host.StopAsync();
        var problems = log.Lines(LogEventLevel.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        var ended = log.Events
            .Where(e => e.MessageTemplate.Text.Contains("ended ({Outcome})", StringComparison.Ordinal))
            .Select(e => ((ScalarValue)e.Properties["Outcome"]).Value as string)
            .ToList();
        Assert.NotEmpty(ended);
        Assert.All(ended, outcome => Assert.Equal("cancelled by client", outcome));
    }
}
