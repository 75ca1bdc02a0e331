using Gateway.Providers;

namespace Gateway.Routing;

/// <summary>One provider model an endpoint can send to, resolved against the providers of one config revision.</summary>
internal sealed class RouteTarget
{
    public RouteTarget(string providerName, string providerType, IProvider provider, string model, double weight, Configuration.Model.TimeoutsConfig? timeouts, Resilience.TargetCircuit circuit)
    {
        ProviderName = providerName;
        ProviderType = providerType;
        Provider = provider;
        Model = model;
        Weight = weight;
        Timeouts = timeouts;
        Circuit = circuit;
        Call = new ProviderTarget(model);
    }

    public string ProviderName { get; }

    /// <summary>The provider's type (openai, anthropic, …): gen_ai.system in traces.</summary>
    public string ProviderType { get; }

    public IProvider Provider { get; }

    public string Model { get; }

    public double Weight { get; }

    /// <summary>This target's own timeouts, overriding the endpoint's; null when it has none.</summary>
    public Configuration.Model.TimeoutsConfig? Timeouts { get; }

    /// <summary>The circuit breaker of this provider and model, shared with every endpoint that sends to it.</summary>
    public Resilience.TargetCircuit Circuit { get; }

    /// <summary>The model as its provider's attempts take it.</summary>
    public ProviderTarget Call { get; }
}
