using System.Collections.Concurrent;
using StreamDiffusion.StreamHost.Sessions;

namespace StreamDiffusion.StreamHost.Web;

/// <summary>
/// The sessions running on this host (gRPC, WebSocket and broadcast alike), by id: what <c>/sessions</c> lists and
/// where <c>/sessions/{id}/mjpeg</c> finds a session's frames.
/// </summary>
public sealed class LiveSessions
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Sessions running now, oldest first.</summary>
    public IReadOnlyList<LiveSession> Snapshot() => [.. _sessions.Values.OrderBy(s => s.StartedAt)];

    /// <summary>The running sessions <paramref name="caller"/> may see (all of them when auth is off: no caller).</summary>
    public IReadOnlyList<LiveSession> SnapshotFor(Security.ClientIdentity? caller) =>
        caller is null ? Snapshot() : [.. Snapshot().Where(s => caller.CanAccess(s.Owner))];

    /// <summary>Finds a running session.</summary>
    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out LiveSession session) =>
        _sessions.TryGetValue(id, out session);

    /// <summary>Lists a session that was just admitted; dispose the result when the session ends.</summary>
    public LiveSession Open(string id, SessionSettings settings, SessionIdentity caller)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(caller);
        var session = new LiveSession(this, id, settings, caller.Transport, caller.Peer, caller.Owner);
        if (!_sessions.TryAdd(id, session))
        {
            throw new InvalidOperationException($"Session id {id} is already listed.");
        }

        return session;
    }

    internal void Remove(LiveSession session) => _sessions.TryRemove(new KeyValuePair<string, LiveSession>(session.Id, session));
}
