using Gateway.Configuration.Model;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>An endpoint compiled for the data plane: resolved targets and per-request settings built once per revision.</summary>
internal sealed class RoutedEndpoint
{
    private readonly double[] _cumulativeWeights;

    public RoutedEndpoint(string name, EndpointConfig config, IReadOnlyList<RouteTarget> targets, IReadOnlyList<RouteTarget> fallbacks)
    {
        Name = name;
        Config = config;
        Kind = EndpointKinds.Parse(config.Type);
        Targets = targets;
        Fallbacks = fallbacks;
        ForwarderConfig = new ForwarderRequestConfig { ActivityTimeout = config.Timeout };
        _cumulativeWeights = new double[targets.Count];
        var total = 0d;
        for (var i = 0; i < targets.Count; i++)
        {
            total += targets[i].Weight;
            _cumulativeWeights[i] = total;
        }
    }

    public string Name { get; }

    public EndpointKind Kind { get; }

    public EndpointConfig Config { get; }

    public IReadOnlyList<RouteTarget> Targets { get; }

    public IReadOnlyList<RouteTarget> Fallbacks { get; }

    /// <summary>YARP settings for this endpoint's upstream calls (the endpoint timeout as YARP's activity timeout).</summary>
    public ForwarderRequestConfig ForwarderConfig { get; }

    /// <summary>Picks a target by weight; <paramref name="sample"/> is uniform in [0, 1).</summary>
    public RouteTarget PickTarget(double sample)
    {
        var point = sample * _cumulativeWeights[^1];
        for (var i = 0; i < _cumulativeWeights.Length; i++)
        {
            if (point < _cumulativeWeights[i])
            {
                return Targets[i];
            }
        }

        return Targets[^1];
    }
}
