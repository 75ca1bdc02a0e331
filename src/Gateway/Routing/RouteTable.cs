using System.Collections.Frozen;
using Gateway.Configuration.Model;
using Gateway.Providers;
using Gateway.Routing.Resilience;

namespace Gateway.Routing;

/// <summary>Every endpoint of one config revision, by the name clients send as "model". Immutable.</summary>
internal sealed class RouteTable
{
    private RouteTable(FrozenDictionary<string, RoutedEndpoint> endpoints) => Endpoints = endpoints;

    public FrozenDictionary<string, RoutedEndpoint> Endpoints { get; }

    public static RouteTable Create(GatewayConfig config, ProviderRegistry registry, TargetCircuits circuits, TimeProvider time)
    {
        var providers = config.Providers.ToDictionary(p => p.Key, p => registry.Create(p.Key, p.Value), StringComparer.Ordinal);
        RouteTarget[] Resolve(IReadOnlyList<TargetConfig> targets) => targets
            .Select(t => new RouteTarget(t.Provider, config.Providers[t.Provider].Type, providers[t.Provider], t.Model, t.Weight, t.Timeouts, circuits.For(t.Provider, t.Model, config.Providers[t.Provider].CircuitBreaker)))
            .ToArray();
        var endpoints = config.Endpoints.ToFrozenDictionary(
            e => e.Key,
            e => new RoutedEndpoint(e.Key, e.Value, Resolve(e.Value.Targets), Resolve(e.Value.Fallbacks),
                Resolve(e.Value.ContextLengthFallbacks), Resolve(e.Value.ContentPolicyFallbacks), time),
            StringComparer.Ordinal);
        return new RouteTable(endpoints);
    }
}
