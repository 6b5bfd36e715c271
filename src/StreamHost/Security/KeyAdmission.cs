using Grpc.Core;
using StreamDiffusion.StreamHost.Services;

namespace StreamDiffusion.StreamHost.Security;

/// <summary>
/// Holds a session to its client's <see cref="KeyLimits"/> before it is created: the model must be allowed
/// (PERMISSION_DENIED), the size within the key's maximum (PERMISSION_DENIED naming the field: the request is
/// valid for the host, just not for this key), and a session slot of the key free (RESOURCE_EXHAUSTED).
/// A model the host does not know is left to the service, which answers NOT_FOUND.
/// </summary>
public sealed class KeyAdmission
{
    private readonly IModelCatalog _catalog;
    private readonly KeySessionCounter _counter;

    /// <summary>Creates the admission over the host's models and the shared per-key counter.</summary>
    public KeyAdmission(IModelCatalog catalog, KeySessionCounter counter)
    {
        _catalog = catalog;
        _counter = counter;
    }

    /// <summary>
    /// Admits one session of <paramref name="identity"/>; the returned slot is held until disposed or
    /// <paramref name="cancellationToken"/> fires. <paramref name="fieldPrefix"/> names the request's fields
    /// (<c>config.</c> for Stream).
    /// </summary>
    /// <exception cref="RpcException">PERMISSION_DENIED or RESOURCE_EXHAUSTED, as above.</exception>
    public IDisposable Admit(ClientIdentity identity, string model, int width, int height, string fieldPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var limits = identity.Limits;
        if (!_catalog.TryResolve(model, out var descriptor))
        {
            return NoSlot.Instance;
        }

        if (!limits.AllowsModel(descriptor.Name))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"{fieldPrefix}model: '{descriptor.Name}' is not allowed for key '{identity.Name}'; allowed: {string.Join(", ", limits.AllowedModels)}"));
        }

        CheckSize(identity, fieldPrefix + "width", width == 0 ? descriptor.ImageSize : width, limits.MaxWidth, width == 0);
        CheckSize(identity, fieldPrefix + "height", height == 0 ? descriptor.ImageSize : height, limits.MaxHeight, height == 0);
        return _counter.TryAcquire(identity.Name, limits.MaxSessions, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"key '{identity.Name}' already runs {limits.MaxSessions} of its {limits.MaxSessions} sessions; end one first"));
    }

    private static void CheckSize(ClientIdentity identity, string field, int size, int max, bool native)
    {
        if (max > 0 && size > max)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"{field}: {size}{(native ? " (the model's native size)" : string.Empty)} is over key '{identity.Name}''s maximum of {max}"));
        }
    }

    private sealed class NoSlot : IDisposable
    {
        public static readonly NoSlot Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// Admits a Stream session by its first request when that carries the <see cref="Protos.V1.SessionConfig"/>
    /// (fields named <c>config.*</c>); null when it does not (the session core refuses such a stream itself).
    /// </summary>
    public IDisposable? AdmitStream(ClientIdentity identity, Protos.V1.StreamRequest first, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(first);
        return first.PayloadCase == Protos.V1.StreamRequest.PayloadOneofCase.Config
            ? Admit(identity, first.Config.Model, first.Config.Width, first.Config.Height, "config.", cancellationToken)
            : null;
    }
}
