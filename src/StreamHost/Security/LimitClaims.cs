using System.Globalization;
using System.Security.Claims;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// The claims that carry <see cref="KeyLimits"/>: an API key's principal gets them from configuration, a JWT
/// carries them itself (<c>sd_max_sessions</c>, <c>sd_max_fps</c>, <c>sd_max_width</c>, <c>sd_max_height</c>, and
/// <c>sd_models</c>, repeated or one comma-separated string, and <c>sd_admin</c>).
/// </summary>
public static class LimitClaims
{
    /// <summary>Concurrent sessions.</summary>
    public const string MaxSessions = "sd_max_sessions";

    /// <summary>Frames per second.</summary>
    public const string MaxFps = "sd_max_fps";

    /// <summary>Largest width.</summary>
    public const string MaxWidth = "sd_max_width";

    /// <summary>Largest height.</summary>
    public const string MaxHeight = "sd_max_height";

    /// <summary>Allowed models.</summary>
    public const string Models = "sd_models";

    /// <summary>Sees and controls every session ("true" or "false").</summary>
    public const string Admin = "sd_admin";

    /// <summary>The claims for configured limits.</summary>
    public static IEnumerable<Claim> For(ApiKeyOptions key)
    {
        ArgumentNullException.ThrowIfNull(key);
        yield return new Claim(MaxSessions, key.MaxSessions.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32);
        yield return new Claim(MaxFps, key.MaxFps.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Double);
        yield return new Claim(MaxWidth, key.MaxWidth.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32);
        yield return new Claim(MaxHeight, key.MaxHeight.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32);
        foreach (var model in key.AllowedModels)
        {
            yield return new Claim(Models, model);
        }

        yield return new Claim(Admin, key.Admin ? "true" : "false", ClaimValueTypes.Boolean);
    }

    /// <summary>Reads limits from <paramref name="principal"/>; a claim it lacks comes from <paramref name="defaults"/>.</summary>
    public static KeyLimits Read(ClaimsPrincipal principal, ApiKeyOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(defaults);
        var models = principal.FindAll(Models)
            .SelectMany(c => c.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToArray();
        return new KeyLimits(
            Number(principal, MaxSessions, defaults.MaxSessions),
            Number(principal, MaxFps, defaults.MaxFps),
            Number(principal, MaxWidth, defaults.MaxWidth),
            Number(principal, MaxHeight, defaults.MaxHeight),
            principal.HasClaim(c => c.Type == Models) ? models : [.. defaults.AllowedModels])
        {
            Admin = Flag(principal, Admin, defaults.Admin),
        };
    }

    private static bool Flag(ClaimsPrincipal principal, string type, bool fallback)
    {
        var claim = principal.FindFirst(type);
        return claim is null ? fallback
            : bool.TryParse(claim.Value, out var value) ? value
            : throw new FormatException($"claim {type}: '{claim.Value}' is not true or false");
    }

    // A claim that is present but not a non-negative number fails the token rather than lifting the limit.
    private static int Number(ClaimsPrincipal principal, string type, int fallback)
    {
        var claim = principal.FindFirst(type);
        return claim is null ? fallback
            : int.TryParse(claim.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
            : throw new FormatException($"claim {type}: '{claim.Value}' is not a non-negative number");
    }

    private static double Number(ClaimsPrincipal principal, string type, double fallback)
    {
        var claim = principal.FindFirst(type);
        return claim is null ? fallback
            : double.TryParse(claim.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
            : throw new FormatException($"claim {type}: '{claim.Value}' is not a non-negative number");
    }
}
