using System.Collections.Frozen;
using Gateway.Configuration.Model;
using Gateway.Providers;

namespace Gateway.Routing;

/// <summary>Every endpoint of one config revision, by the name clients send as "model". Immutable.</summary>
internal sealed class RouteTable
{
    private RouteTable(FrozenDictionary<string, RoutedEndpoint> endpoints) => Endpoints = endpoints;

    public FrozenDictionary<string, RoutedEndpoint> Endpoints { get; }

    public static RouteTable Create(GatewayConfig config, ProviderRegistry registry)
    {
        var providers = config.Providers.ToDictionary(p => p.Key, p => registry.Create(p.Key, p.Value), StringComparer.Ordinal);
        var endpoints = config.Endpoints.ToFrozenDictionary(
            e => e.Key,
            e => new RoutedEndpoint(e.Key, e.Value, Resolve(e.Value.Targets, providers), Resolve(e.Value.Fallbacks, providers)),
            StringComparer.Ordinal);
        return new RouteTable(endpoints);
    }

    private static RouteTarget[] Resolve(IReadOnlyList<TargetConfig> targets, Dictionary<string, IProvider> providers) =>
        targets.Select(t => new RouteTarget(t.Provider, providers[t.Provider], t.Model, t.Weight)).ToArray();
}
