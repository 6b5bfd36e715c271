using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Broadcast;

/// <summary>
/// A broadcast as a session transport: the key's config, decoded frames and API controls in
/// (<see cref="BroadcastRequestReader"/>), generated frames out to the encoder (<see cref="BroadcastResponseWriter"/>),
/// the client gone when the broadcaster disconnects, its key is deleted or the host stops. A stalled writer is an
/// encoder that stopped reading: it is killed. The final status becomes the key's outcome (<c>/broadcasts</c>); the
/// broadcaster learns it from its connection closing, as the session's children are ended with it.
/// </summary>
internal sealed class BroadcastSessionTransport : ISessionTransport
{
    private readonly BroadcastSession _session;
    private readonly ClientLifetime _client;

    public BroadcastSessionTransport(BroadcastSession session, BroadcastRequestReader reader, BroadcastResponseWriter writer, ClientLifetime client)
    {
        _session = session;
        _client = client;
        Input = reader;
        Output = writer;
        Identity = new SessionIdentity(session.Transport, session.Peer);
    }

    public SessionIdentity Identity { get; }

    public ISessionInput Input { get; }

    public ISessionOutput Output { get; }

    public CancellationToken ClientGone => _client.Token;

    public void AbortStalledWriter() => _session.AbortOutput();

    public Task CompleteAsync(SessionStatus status)
    {
        _session.Complete(status);
        return Task.CompletedTask;
    }
}
