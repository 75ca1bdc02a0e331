using Gateway.Auth;
using Gateway.Configuration.Model;
using Gateway.Routing;

namespace Gateway.Configuration;

/// <summary>
/// One validated config revision compiled for the data plane. Immutable: a request takes the current
/// snapshot once and uses it to the end, so a reload never changes a request half-way.
/// </summary>
internal sealed class GatewaySnapshot(int revision, string hash, DateTimeOffset loadedAt, ConfigSource source, GatewayConfig config, RouteTable routes, KeyTable keys, Guardrails.GuardrailTable guardrails)
{
    public int Revision { get; } = revision;

    /// <summary>SHA-256 of the file's bytes, hex.</summary>
    public string Hash { get; } = hash;

    /// <summary>The first 12 hex digits of <see cref="Hash"/>, as logs show it.</summary>
    public string ShortHash { get; } = hash.Length > 12 ? hash[..12] : hash;

    public DateTimeOffset LoadedAt { get; } = loadedAt;

    public ConfigSource Source { get; } = source;

    public GatewayConfig Config { get; } = config;

    public RouteTable Routes { get; } = routes;

    public KeyTable Keys { get; } = keys;

    /// <summary>Each endpoint's guardrails, compiled (custom patterns included) once per revision.</summary>
    public Guardrails.GuardrailTable Guardrails { get; } = guardrails;
}
