using System.Collections.Concurrent;
using System.IO.Hashing;

namespace Gateway.Tracking;

/// <summary>
/// Token counts of long strings counted recently, by a 64-bit hash of their JSON bytes. An agent sends its whole
/// conversation again with every turn, and only the newest turn is new text: counting it again costs ~40 µs a
/// kilobyte, hashing it well under one. Entries are partitioned by caller (the hash is seeded with the user), so
/// how fast a count comes back says nothing about what anyone else sent. Bounded: two generations of at most
/// half the capacity each; when the newer fills, the older is dropped and a hit in it moves to the newer.
/// </summary>
internal sealed class TokenCountCache(int capacity)
{
    /// <summary>Shorter strings are cheaper to count than to look up and keep.</summary>
    public const int MinimumBytes = 256;

    private readonly Lock _rotation = new();
    private Generation _newer = new();
    private Generation _older = new();
    private long _hits;

    /// <summary>Strings whose count came from here since start-up.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>The key of a string's JSON bytes for one caller.</summary>
    public static Key KeyOf(ReadOnlySpan<byte> json, long partition) => new(XxHash3.HashToUInt64(json, partition), json.Length);

    public bool TryGet(Key key, out int tokens)
    {
        if (_newer.Counts.TryGetValue(key, out tokens))
        {
            Interlocked.Increment(ref _hits);
            return true;
        }

        if (_older.Counts.TryGetValue(key, out tokens))
        {
            Interlocked.Increment(ref _hits);
            Add(key, tokens);
            return true;
        }

        return false;
    }

    public void Add(Key key, int tokens)
    {
        var newer = _newer;
        if (!newer.Counts.TryAdd(key, tokens) || Interlocked.Increment(ref newer.Size) < capacity / 2)
        {
            return;
        }

        lock (_rotation)
        {
            if (ReferenceEquals(newer, _newer))
            {
                _older = newer;
                _newer = new Generation();
            }
        }
    }

    public readonly record struct Key(ulong Hash, int Length);

    private sealed class Generation
    {
        public readonly ConcurrentDictionary<Key, int> Counts = new();
        public int Size;
    }
}
