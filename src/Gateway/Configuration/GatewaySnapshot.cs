using System.Collections.Frozen;
using Gateway.Configuration.Model;

namespace Gateway.Configuration;

/// <summary>
/// One validated config revision compiled for the data plane. Immutable: a request takes the current
/// snapshot once and uses it to the end, so a reload never changes a request half-way. Besides the config it
/// carries each feature's table compiled from it (<see cref="ISnapshotCompiler"/>), which the features read
/// through their own extension properties (snapshot.Routes, snapshot.Keys, snapshot.Guardrails).
/// </summary>
internal sealed class GatewaySnapshot(int revision, string hash, DateTimeOffset loadedAt, ConfigSource source, GatewayConfig config, FrozenDictionary<Type, object> parts)
{
    public int Revision { get; } = revision;

    /// <summary>SHA-256 of the file's bytes, hex.</summary>
    public string Hash { get; } = hash;

    /// <summary>The first 12 hex digits of <see cref="Hash"/>, as logs show it.</summary>
    public string ShortHash { get; } = hash.Length > 12 ? hash[..12] : hash;

    public DateTimeOffset LoadedAt { get; } = loadedAt;

    public ConfigSource Source { get; } = source;

    public GatewayConfig Config { get; } = config;

    /// <summary>The feature table of type <typeparamref name="TPart"/> compiled for this revision.</summary>
    public TPart Part<TPart>() where TPart : class =>
        parts.TryGetValue(typeof(TPart), out var part)
            ? (TPart)part
            : throw new InvalidOperationException($"No {typeof(TPart).Name} is compiled into config snapshots: its feature registered no ISnapshotCompiler");
}
