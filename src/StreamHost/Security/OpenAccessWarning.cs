using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Logs at start when the host is open to more than this machine: it binds a non-loopback address and no key or
/// JWT issuer is configured, so anyone who reaches the port can run sessions.
/// </summary>
public sealed partial class OpenAccessWarning : IHostedService
{
    private readonly ILogger<OpenAccessWarning> _logger;
    private readonly IReadOnlyList<string> _exposedUrls;

    /// <summary>Creates the check for the listen URLs that are not loopback.</summary>
    public OpenAccessWarning(ILogger<OpenAccessWarning> logger, IReadOnlyList<string> exposedUrls)
    {
        _logger = logger;
        _exposedUrls = exposedUrls;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_exposedUrls.Count > 0)
        {
            LogOpen(_logger, string.Join(", ", _exposedUrls));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Authentication is off and the host listens on {Urls}, beyond loopback: anyone who reaches it can run sessions. Configure Auth:Keys (streamhost keys new) or Auth:Jwt, or bind 127.0.0.1")]
    private static partial void LogOpen(ILogger logger, string urls);
}
