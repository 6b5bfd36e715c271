namespace StreamDiffusion.StreamClient.Connection;

/// <summary>
/// The smallest <see cref="IServiceProvider"/>: it hands grpc-dotnet the one service a channel looks up here
/// (its resolver factory, asked for as a list), so the client needs no dependency-injection container.
/// </summary>
internal sealed class SingleServiceProvider<T>(T service) : IServiceProvider
    where T : class
{
    /// <inheritdoc />
    public object? GetService(Type serviceType) =>
        serviceType == typeof(T) ? service
        : serviceType == typeof(IEnumerable<T>) ? new[] { service }
        : null;
}
