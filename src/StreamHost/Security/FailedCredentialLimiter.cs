using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Counts rejected credentials per client address in fixed windows (<see cref="AuthOptions.MaxFailedAttempts"/> per
/// <see cref="AuthOptions.FailedAttemptWindow"/>), with ASP.NET Core's partitioned rate limiter: one fixed-window
/// limiter per address, dropped by the limiter once idle, so the addresses tracked stay bounded by the recent ones.
/// </summary>
/// <remarks>
/// Keys are 256-bit random, so guessing one is hopeless anyway; the limit keeps a client that retries a wrong or
/// revoked key in a loop from costing a hash, a log line and a response per attempt without end, and it refuses
/// right keys from a blocked address too, so a guesser learns nothing from a hit while blocked.
/// </remarks>
public sealed class FailedCredentialLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress>? _limiter;

    /// <summary>Creates the limiter from the host's auth settings (none when the limit is 0).</summary>
    public FailedCredentialLimiter(IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (settings.MaxFailedAttempts > 0)
        {
            var limiterOptions = new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.MaxFailedAttempts,
                Window = settings.FailedAttemptWindow,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => limiterOptions));
        }
    }

    /// <summary>
    /// Whether <paramref name="address"/> has used up its failures for the current window, and when it may try again.
    /// </summary>
    public bool IsBlocked(IPAddress address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return false;
        }

        // A zero-permit attempt consumes nothing: it only asks whether any permit is left.
        using var probe = _limiter.AttemptAcquire(address, 0);
        if (probe.IsAcquired)
        {
            return false;
        }

        retryAfter = probe.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.Zero;
        return true;
    }

    /// <summary>Counts one rejected credential; returns true when it was the one that used up the address's allowance.</summary>
    public bool RecordFailure(IPAddress address)
    {
        if (_limiter is null)
        {
            return false;
        }

        using (var lease = _limiter.AttemptAcquire(address))
        {
            if (!lease.IsAcquired)
            {
                return false;
            }
        }

        return IsBlocked(address, out _);
    }

    /// <inheritdoc />
    public void Dispose() => _limiter?.Dispose();
}
