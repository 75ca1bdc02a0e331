using System.IO.Hashing;
using System.Text;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Providers;
using Gateway.Providers.Upstream;
using Gateway.Routing.Resilience;
using Polly;
using Polly.Retry;

namespace Gateway.Routing;

/// <summary>An endpoint compiled for the data plane: resolved targets and per-request settings built once per revision.</summary>
internal sealed class RoutedEndpoint
{
    private readonly double[] _cumulativeWeights;

    public RoutedEndpoint(string name, EndpointConfig config, IReadOnlyList<RouteTarget> targets, IReadOnlyList<RouteTarget> fallbacks,
        IReadOnlyList<RouteTarget> contextLengthFallbacks, IReadOnlyList<RouteTarget> contentPolicyFallbacks, TimeProvider time)
    {
        Name = name;
        Config = config;
        Kind = EndpointKinds.Parse(config.Type);
        Targets = targets;
        Fallbacks = fallbacks;
        ContextLengthFallbacks = contextLengthFallbacks;
        ContentPolicyFallbacks = contentPolicyFallbacks;
        FallbackOn = new FailureConditions(config.FallbackOn);
        Retry = BuildRetry(config.Retry, time);
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

    public IReadOnlyList<RouteTarget> ContextLengthFallbacks { get; }

    public IReadOnlyList<RouteTarget> ContentPolicyFallbacks { get; }

    public FailureConditions FallbackOn { get; }

    /// <summary>Retries of one target (jittered exponential backoff, Retry-After honoured up to a cap); empty when attempts is 1.</summary>
    public ResiliencePipeline<AttemptResult> Retry { get; }

    public bool Retries => Config.Retry is { Attempts: > 1 };

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

    /// <summary>
    /// The sample that picks this request's target: random, or with <c>sticky: user</c> a stable hash of the
    /// user, so a user stays on one target for as long as the weights stay the same.
    /// </summary>
    public double Sample(string user, Random random) => Config.Sticky == "user"
        ? XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(user)) / (ulong.MaxValue + 1.0)
        : random.NextDouble();

    /// <summary>The targets to try, in order, after <paramref name="first"/>: the fallbacks, then (if configured) the other split targets.</summary>
    public List<RouteTarget> Plan(RouteTarget first)
    {
        var plan = new List<RouteTarget>(1 + Fallbacks.Count) { first };
        plan.AddRange(Fallbacks);
        if (Config.FallbackToTargets)
        {
            plan.AddRange(Targets.Where(t => t != first));
        }

        return plan;
    }

    /// <summary>The waits of one attempt at <paramref name="target"/>: the target's own, else the endpoint's, else the defaults.</summary>
    public AttemptTimeouts Timeouts(RouteTarget target) => new(
        target.Timeouts?.Connect ?? Config.Timeouts?.Connect ?? AttemptTimeouts.DefaultConnect,
        target.Timeouts?.FirstByte ?? Config.Timeouts?.FirstByte ?? Config.Timeout,
        target.Timeouts?.Idle ?? Config.Timeouts?.Idle ?? Config.Timeout);

    private static ResiliencePipeline<AttemptResult> BuildRetry(RetryConfig? retry, TimeProvider time)
    {
        if (retry is not { Attempts: > 1 })
        {
            return ResiliencePipeline<AttemptResult>.Empty;
        }

        var on = new FailureConditions(retry.On);
        return new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = retry.Attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.Backoff,
                MaxDelay = retry.MaxBackoff,
                // Only failures before the answer started, of a kind the endpoint retries, and not when the provider
                // asks for a longer wait than the cap: then the fallbacks are the better bet.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Status: AttemptStatus.Failed, Error: { } error }
                    && on.Matches(error) && !(RetryAfter(error, time) > retry.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.Error is { } error ? RetryAfter(error, time) : null),
            })
            .Build();
    }

    /// <summary>The wait a provider asked for in Retry-After (seconds, or an HTTP date); null when it asked for none.</summary>
    public static TimeSpan? RetryAfter(GatewayError error, TimeProvider time)
    {
        var value = error.Headers?.FirstOrDefault(h => h.Key.Equals("retry-after", StringComparison.OrdinalIgnoreCase)).Value;
        if (value is null)
        {
            return null;
        }

        if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Max(0, seconds));
        }

        if (!DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
        {
            return null;
        }

        var wait = at - time.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }
}
