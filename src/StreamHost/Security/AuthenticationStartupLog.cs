using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Says at start whether clients must authenticate: with keys or JWT, which; without, a warning when the host
/// binds beyond loopback, since anyone who reaches the port can then run sessions.
/// </summary>
public sealed partial class AuthenticationStartupLog : IHostedService
{
    private readonly ILogger<AuthenticationStartupLog> _logger;
    private readonly AuthOptions _options;
    private readonly IReadOnlyList<string> _exposedUrls;

    /// <summary>Creates the log for <paramref name="options"/> and the listen URLs that are not loopback.</summary>
    public AuthenticationStartupLog(ILogger<AuthenticationStartupLog> logger, AuthOptions options, IReadOnlyList<string> exposedUrls)
    {
        _logger = logger;
        _options = options;
        _exposedUrls = exposedUrls;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            LogOn(_logger, _options.Keys.Count, _options.Jwt.IsConfigured ? "on" : "off", _options.ProtectMetrics ? "needs a key" : "open");
        }
        else if (_exposedUrls.Count > 0)
        {
            LogOpen(_logger, string.Join(", ", _exposedUrls));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Authentication is on: {Keys} API key(s), JWT {Jwt}; /healthz and gRPC health open, /metrics {Metrics}")]
    private static partial void LogOn(ILogger logger, int keys, string jwt, string metrics);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Authentication is off and the host listens on {Urls}, beyond loopback: anyone who reaches it can run sessions. Configure Auth:Keys (streamhost keys new) or Auth:Jwt, or bind 127.0.0.1")]
    private static partial void LogOpen(ILogger logger, string urls);
}
