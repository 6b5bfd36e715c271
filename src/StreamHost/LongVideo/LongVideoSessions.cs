using System.Collections.Concurrent;
using StreamDiffusion.Pipeline.LongVideo;

namespace StreamDiffusion.StreamHost.LongVideo;

/// <summary>
/// The GenerateVideo sessions running on this host, by session id: where ControlVideo finds the generator
/// whose prompt it changes. An entry lives exactly as long as its call.
/// </summary>
public sealed class LongVideoSessions
{
    private readonly ConcurrentDictionary<string, (LongVideoGenerator Generator, string? Owner)> _sessions = new(StringComparer.Ordinal);

    /// <summary>Sessions running now.</summary>
    public int Count => _sessions.Count;

    /// <summary>Lists a running generator started by <paramref name="owner"/> (null: no owner); dispose the result when the call ends.</summary>
    public IDisposable Register(string id, LongVideoGenerator generator, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!_sessions.TryAdd(id, (generator, owner)))
        {
            throw new InvalidOperationException($"long-video session {id} is already listed");
        }

        return new Registration(this, id, (generator, owner));
    }

    /// <summary>Finds a running generator and who started it.</summary>
    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out LongVideoGenerator generator, out string? owner)
    {
        if (_sessions.TryGetValue(id, out var entry))
        {
            (generator, owner) = entry;
            return true;
        }

        (generator, owner) = (null, null);
        return false;
    }

    private sealed class Registration(LongVideoSessions sessions, string id, (LongVideoGenerator Generator, string? Owner) entry) : IDisposable
    {
        public void Dispose() => sessions._sessions.TryRemove(new KeyValuePair<string, (LongVideoGenerator, string?)>(id, entry));
    }
}
