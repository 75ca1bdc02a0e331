using System.Collections.Concurrent;
using Gateway.Auth;
using Gateway.Configuration.Model;
using Gateway.Tracking;

namespace Gateway.RateLimiting;

/// <summary>
/// The limits of one config revision, resolved per (endpoint, key) once and then reused. A counter's key names the
/// scope, subject, kind and window but not the amount, so a reload that changes an amount keeps counting where it
/// was, while a changed window starts afresh.
/// </summary>
internal sealed class LimitTable(GatewayConfig config, string keyPrefix)
{
    private readonly ConcurrentDictionary<(string Endpoint, string KeyId), AppliedLimits> _resolved = new();

    /// <summary>Some limit counts tokens or cost: the reader must decode the prompt's texts for the count.</summary>
    public bool CountsPrompts { get; } = config.Endpoints.Values.SelectMany(e => e.Limits)
        .Concat(config.Users.Values.SelectMany(u => u.Limits))
        .Concat(config.Groups.Values.SelectMany(g => g.Limits))
        .Concat(config.Keys.SelectMany(k => k.Limits))
        .Any(l => l.Tokens is not null || l.Cost is not null);

    public AppliedLimits For(string endpoint, CallerIdentity caller) =>
        _resolved.TryGetValue((endpoint, caller.KeyId), out var limits)
            ? limits
            : _resolved.GetOrAdd((endpoint, caller.KeyId), _ => Resolve(endpoint, caller));

    /// <summary>The limits that apply to the caller outside any one endpoint, plus those of each endpoint it may call.</summary>
    public IReadOnlyList<AppliedLimit> AllFor(CallerIdentity caller) =>
        config.Endpoints.Keys.Where(caller.MayCall).Order(StringComparer.Ordinal)
            .SelectMany(endpoint => For(endpoint, caller).Limits)
            .DistinctBy(limit => limit.Key)
            .ToList();

    private AppliedLimits Resolve(string endpointName, CallerIdentity caller)
    {
        var limits = new List<AppliedLimit>();
        if (config.Endpoints.TryGetValue(endpointName, out var endpoint))
        {
            foreach (var limit in endpoint.Limits)
            {
                switch (limit.Per ?? "endpoint")
                {
                    case "endpoint":
                        Add(limits, limit, "endpoint", endpointName, endpointName);
                        break;
                    case "user":
                        Add(limits, limit, "user", caller.User, endpointName);
                        break;
                    case "key":
                        Add(limits, limit, "key", caller.KeyId, endpointName);
                        break;
                    default:
                        foreach (var group in caller.Groups)
                        {
                            Add(limits, limit, "group", group, endpointName);
                        }

                        break;
                }
            }
        }

        if (config.Users.TryGetValue(caller.User, out var user))
        {
            foreach (var limit in user.Limits)
            {
                Add(limits, limit, "user", caller.User, endpoint: null);
            }
        }

        foreach (var group in caller.Groups)
        {
            foreach (var limit in config.Groups.TryGetValue(group, out var g) ? g.Limits : [])
            {
                Add(limits, limit, "group", group, endpoint: null);
            }
        }

        foreach (var limit in caller.KeyLimits)
        {
            Add(limits, limit, "key", caller.KeyId, endpoint: null);
        }

        return limits.Count == 0 ? AppliedLimits.None : new AppliedLimits([.. limits], endpoint is null ? null : DearestPrice(endpoint));
    }

    private void Add(List<AppliedLimit> limits, LimitConfig limit, string scope, string subject, string? endpoint)
    {
        if (limit.Requests is { } requests)
        {
            limits.Add(Applied(LimitKind.Requests, requests));
        }

        if (limit.Tokens is { } tokens)
        {
            limits.Add(Applied(LimitKind.Tokens, tokens));
        }

        if (limit.Cost is { } cost)
        {
            limits.Add(Applied(LimitKind.Cost, (long)decimal.Round(cost * LimitKinds.NanoUsdPerUsd)));
        }

        AppliedLimit Applied(LimitKind kind, long amount)
        {
            // {prefix} is the Redis Cluster hash tag; the rest only has to be unique.
            var key = $"{{{keyPrefix}}}:rl:{kind.Name()}:{limit.Window}:{scope}={subject}" + (endpoint is null ? "" : "@" + endpoint);
            return new AppliedLimit(key, scope, subject, endpoint, kind, amount, limit.Window);
        }
    }

    private ModelPrice? DearestPrice(EndpointConfig endpoint)
    {
        ModelPrice? dearest = null;
        foreach (var target in endpoint.Targets.Concat(endpoint.Fallbacks).Concat(endpoint.ContextLengthFallbacks).Concat(endpoint.ContentPolicyFallbacks))
        {
            if (Pricing.Find(config, target.Provider, target.Model, answeredModel: null) is { } price)
            {
                dearest = dearest is null ? price : new ModelPrice
                {
                    Input = Math.Max(dearest.Input, price.Input),
                    Output = Math.Max(dearest.Output, price.Output),
                };
            }
        }

        return dearest;
    }
}
