using Grpc.Core;

namespace StreamDiffusion.StreamHost.Services;

/// <summary>Model lookup as every entry point answers it.</summary>
public static class ModelCatalogExtensions
{
    /// <summary>The pack named <paramref name="name"/> (empty: the default one).</summary>
    /// <exception cref="RpcException">NOT_FOUND naming the packs that are configured.</exception>
    public static ModelDescriptor ResolveOrThrow(this IModelCatalog catalog, string? name)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog.TryResolve(name, out var model))
        {
            return model;
        }

        throw new RpcException(new Status(StatusCode.NotFound,
            $"model '{name}' is not configured; available: {string.Join(", ", catalog.Models.Select(m => m.Name))}"));
    }
}
