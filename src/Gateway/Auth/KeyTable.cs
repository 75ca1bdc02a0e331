using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration.Model;
using Gateway.Configuration.Validation;

namespace Gateway.Auth;

/// <summary>
/// Gateway keys by SHA-256, compiled from one config revision. Only hashes are held: a presented key
/// is hashed and compared hash to hash in constant time, so plain and hashed keys work alike and the
/// table never keeps a credential in memory longer than the config does.
/// </summary>
internal sealed class KeyTable
{
    private readonly FrozenDictionary<string, Entry> _byHash;

    private sealed record Entry(byte[] Hash, CallerIdentity Identity);

    private KeyTable(FrozenDictionary<string, Entry> byHash) => _byHash = byHash;

    public int Count => _byHash.Count;

    public static KeyTable Create(IReadOnlyList<KeyConfig> keys)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        // Runs only on validated configs, where every key is present and well-formed.
        foreach (var key in keys)
        {
            var hash = key.Key.StartsWith(KeyRule.HashPrefix, StringComparison.Ordinal)
                ? Convert.FromHexString(key.Key.AsSpan(KeyRule.HashPrefix.Length))
                : SHA256.HashData(Encoding.UTF8.GetBytes(key.Key));
            var hex = Convert.ToHexStringLower(hash);
            var identity = new CallerIdentity(
                KeyId: key.Name ?? "key-" + hex[..8],
                User: key.User,
                Groups: key.Groups,
                Endpoints: key.Endpoints?.ToFrozenSet(StringComparer.Ordinal),
                Role: key.Role switch { "admin" => CallerRole.Admin, "finance" => CallerRole.Finance, _ => CallerRole.User })
            {
                KeyLimits = key.Limits,
            };
            entries[hex] = new Entry(hash, identity);
        }

        return new KeyTable(entries.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public CallerIdentity? Find(ReadOnlySpan<char> presentedKey)
    {
        if (presentedKey.IsEmpty || presentedKey.Length > 512)
        {
            return null;
        }

        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(presentedKey.Length)];
        var length = Encoding.UTF8.GetBytes(presentedKey, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
        Convert.TryToHexStringLower(hash, hex, out _);

        var lookup = _byHash.GetAlternateLookup<ReadOnlySpan<char>>();
        // The lookup is keyed by the hash, not the key, so its timing reveals nothing about valid keys;
        // the final comparison is constant-time all the same.
        return lookup.TryGetValue(hex, out var entry) && CryptographicOperations.FixedTimeEquals(entry.Hash, hash)
            ? entry.Identity
            : null;
    }
}
