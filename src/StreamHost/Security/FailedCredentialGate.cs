using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Runs after authentication, before <see cref="AccessGate"/>: a request that presents a credential from an address
/// that has sent too many rejected ones (<see cref="FailedCredentialLimiter"/>) is refused without being served
/// (gRPC: RESOURCE_EXHAUSTED; HTTP: 429 with Retry-After); a presented credential that authentication rejected
/// counts against its address. Requests that present none are left to the gate's usual challenge.
/// </summary>
public sealed partial class FailedCredentialGate
{
    private readonly RequestDelegate _next;
    private readonly FailedCredentialLimiter _limiter;
    private readonly ILogger<FailedCredentialGate> _logger;

    /// <summary>Creates the gate.</summary>
    public FailedCredentialGate(RequestDelegate next, FailedCredentialLimiter limiter, ILogger<FailedCredentialGate> logger)
    {
        _next = next;
        _limiter = limiter;
        _logger = logger;
    }

    /// <summary>Lets the request through, counts its rejected credential, or refuses it.</summary>
    public Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = http.Connection.RemoteIpAddress;
        if (address is null || PresentedCredential.Find(http.Request) is null)
        {
            return _next(http);
        }

        if (_limiter.IsBlocked(address, out var retryAfter))
        {
            return RefuseAsync(http, retryAfter);
        }

        if (ClientIdentity.Of(http) is null && _limiter.RecordFailure(address))
        {
            LogBlocked(_logger, address.ToString());
        }

        return _next(http);
    }

    private static Task RefuseAsync(HttpContext http, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var message = string.Create(CultureInfo.InvariantCulture, $"too many rejected keys or tokens from this address; try again in {seconds} s");
        var response = http.Response;
        response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
        if (AccessGate.IsGrpc(http))
        {
            // A trailers-only gRPC response: the status travels in the headers of an empty 200.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)StatusCode.ResourceExhausted).ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = message;
            return Task.CompletedTask;
        }

        return AccessGate.RefuseAsync(http, StatusCodes.Status429TooManyRequests, message);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Too many rejected keys or tokens from {Address}: its requests with a credential are refused until the window ends (Auth:MaxFailedAttempts, Auth:FailedAttemptWindow)")]
    private static partial void LogBlocked(ILogger logger, string address);
}
