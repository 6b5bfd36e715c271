using System.Collections.Concurrent;
using StreamDiffusion.Pipeline.LongVideo;

namespace StreamDiffusion.StreamHost.LongVideo;

/// <summary>
/// The GenerateVideo sessions running on this host, by session id: where ControlVideo finds the generator
/// whose prompt it changes. An entry lives exactly as long as its call.
/// </summary>
public sealed class LongVideoSessions
{
    private readonly ConcurrentDictionary<string, LongVideoGenerator> _sessions = new(StringComparer.Ordinal);

    /// <summary>Sessions running now.</summary>
    public int Count => _sessions.Count;

    /// <summary>Lists a running generator; dispose the result when the call ends.</summary>
    public IDisposable Register(string id, LongVideoGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!_sessions.TryAdd(id, generator))
        {
            throw new InvalidOperationException($"long-video session {id} is already listed");
        }

        return new Registration(this, id, generator);
    }

    /// <summary>Finds a running generator.</summary>
    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out LongVideoGenerator generator) =>
        _sessions.TryGetValue(id, out generator);

    private sealed class Registration(LongVideoSessions owner, string id, LongVideoGenerator generator) : IDisposable
    {
        public void Dispose() => owner._sessions.TryRemove(new KeyValuePair<string, LongVideoGenerator>(id, generator));
    }
}
