using System.ComponentModel;

namespace Gateway.Configuration.Model;

/// <summary>The whole of gateway.yaml, as written (after environment interpolation). Immutable.</summary>
[Description("Gateway configuration (gateway.yaml)")]
internal sealed record GatewayConfig
{
    [Description("Where the gateway listens and how callers authenticate.")]
    public ServerConfig Server { get; init; } = new();

    [Description("Upstream providers by name: where calls go and how to authenticate there.")]
    public IReadOnlyDictionary<string, ProviderConfig> Providers { get; init; } = Empty<ProviderConfig>();

    [Description("Gateway endpoints by name; clients send the name as \"model\".")]
    public IReadOnlyDictionary<string, EndpointConfig> Endpoints { get; init; } = Empty<EndpointConfig>();

    [Description("Gateway keys: who may call, as which user and groups.")]
    public IReadOnlyList<KeyConfig> Keys { get; init; } = [];

    [Description("Users by name, with limits over all of each user's keys.")]
    public IReadOnlyDictionary<string, UserConfig> Users { get; init; } = Empty<UserConfig>();

    [Description("Groups by name, with limits shared by their members.")]
    public IReadOnlyDictionary<string, GroupConfig> Groups { get; init; } = Empty<GroupConfig>();

    [Description("Guardrails by name, referenced from endpoints.")]
    public IReadOnlyDictionary<string, GuardrailConfig> Guardrails { get; init; } = Empty<GuardrailConfig>();

    [Description("Prices in USD per 1M tokens, by provider model name.")]
    public IReadOnlyDictionary<string, ModelPrice> Pricing { get; init; } = Empty<ModelPrice>();

    [Description("Where rate-limit counters live; absent means in memory on each replica.")]
    public RateLimitsConfig? RateLimits { get; init; }

    [Description("Where traces and usage are written.")]
    public TrackingConfig Tracking { get; init; } = new();

    internal static IReadOnlyDictionary<string, T> Empty<T>() => new Dictionary<string, T>(StringComparer.Ordinal);
}
