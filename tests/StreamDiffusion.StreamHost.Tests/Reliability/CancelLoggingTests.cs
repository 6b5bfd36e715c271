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
            var (call, _) = await Frames.OpenAsync(host.Client, Frames.RawConfig());
            using (call)
            {
                if (afterAFrame)
                {
                    await Frames.RoundTripAsync(call, Frames.Raw(8, 8, 1, 1));
                }
            }

            // Disposing the call resets the stream (RST_STREAM CANCEL), as a cancelling client does.
            await CancelTests.WaitForNoSessionsAsync(host, TimeSpan.FromSeconds(1), $"call {i + 1}");
        }

        await host.StopAsync();
        Assert.Empty(log.Lines(LogEventLevel.Warning));
        var ended = log.Events
            .Where(e => e.MessageTemplate.Text.Contains("ended ({Outcome})", StringComparison.Ordinal))
            .Select(e => ((ScalarValue)e.Properties["Outcome"]).Value as string)
            .ToList();
        Assert.Equal(Enumerable.Repeat("cancelled by client", calls), ended);
    }
}
