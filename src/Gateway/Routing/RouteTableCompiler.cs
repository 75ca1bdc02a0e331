using Gateway.Configuration;
using Gateway.Configuration.Model;
using Gateway.Providers;
using Gateway.Routing.Resilience;

namespace Gateway.Routing;

/// <summary>Each revision's routes: endpoints with their targets resolved to providers and circuits.</summary>
internal sealed class RouteTableCompiler(ProviderRegistry registry, TargetCircuits circuits, TimeProvider time) : SnapshotCompiler<RouteTable>
{
    public override RouteTable Compile(GatewayConfig config) => RouteTable.Create(config, registry, circuits, time);
}

internal static class RouteTableSnapshot
{
    extension(GatewaySnapshot snapshot)
    {
        /// <summary>The endpoints and their targets, compiled for this revision.</summary>
        public RouteTable Routes => snapshot.Part<RouteTable>();
    }
}
