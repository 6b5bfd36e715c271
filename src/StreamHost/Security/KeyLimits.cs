namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// What one client (API key or JWT subject) may use. Zero means "no limit of its own" (the host's limits still
/// hold); an empty <see cref="AllowedModels"/> allows every model. <see cref="MaxFps"/> is carried for the
/// session's frame-rate cap.
/// </summary>
public sealed record KeyLimits(int MaxSessions, double MaxFps, int MaxWidth, int MaxHeight, IReadOnlyList<string> AllowedModels)
{
    /// <summary>Whether the client sees and controls every session, not only its own (<see cref="ApiKeyOptions.Admin"/>).</summary>
    public bool Admin { get; init; }

    /// <summary>No limits beyond the host's.</summary>
    public static KeyLimits None { get; } = new(0, 0, 0, 0, []);

    /// <summary>Whether <paramref name="model"/> may be used.</summary>
    public bool AllowsModel(string model) =>
        AllowedModels.Count == 0 || AllowedModels.Contains(model, StringComparer.OrdinalIgnoreCase);
}
