using System.Collections.Concurrent;
using Gateway.Configuration.Model;
using Gateway.Errors;
using Gateway.Providers;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Routing.Resilience;

/// <summary>
/// One circuit breaker per target (provider and model) on this replica, shared by every endpoint that sends
/// to it and kept across reloads unless its settings change. Polly v8 counts the failures and opens, half-opens
/// and closes the circuit; an open circuit makes the router skip the target at once.
/// </summary>
internal sealed class TargetCircuits(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, TargetCircuit> _circuits = new(StringComparer.Ordinal);

    public TargetCircuit For(string provider, string model, CircuitBreakerConfig config)
    {
        var key = provider + "/" + model;
        while (true)
        {
            if (_circuits.TryGetValue(key, out var existing) && existing.Config == config)
            {
                return existing;
            }

            var created = new TargetCircuit(provider, model, config, time);
            if (existing is null ? _circuits.TryAdd(key, created) : _circuits.TryUpdate(key, created, existing))
            {
                return created;
            }
        }
    }
}

/// <summary>A target's circuit and its recent calls.</summary>
internal sealed class TargetCircuit
{
    private const int RecentCalls = 100;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly (double LatencyMs, bool Failed)[] _recent = new (double, bool)[RecentCalls];
    private readonly Lock _gate = new();
    private int _recentCount;
    private int _next;

    public TargetCircuit(string provider, string model, CircuitBreakerConfig config, TimeProvider time)
    {
        Provider = provider;
        Model = model;
        Config = config;
        Pipeline = !config.Enabled
            ? ResiliencePipeline<AttemptResult>.Empty
            : new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = time }
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptResult>
                {
                    FailureRatio = config.FailureRatio,
                    MinimumThroughput = config.MinimumThroughput,
                    SamplingDuration = config.SamplingDuration,
                    BreakDuration = config.BreakDuration,
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } result && IsTargetFailure(result)),
                    StateProvider = _state,
                })
                .Build();
    }

    public string Provider { get; }

    public string Model { get; }

    public CircuitBreakerConfig Config { get; }

    /// <summary>Runs an attempt through the breaker; throws <see cref="BrokenCircuitException"/> at once while the circuit is open.</summary>
    public ResiliencePipeline<AttemptResult> Pipeline { get; }

    /// <summary>closed, open, half_open or disabled.</summary>
    public string State => !Config.Enabled ? "disabled" : _state.CircuitState switch
    {
        CircuitState.Open or CircuitState.Isolated => "open",
        CircuitState.HalfOpen => "half_open",
        _ => "closed",
    };

    /// <summary>What says the target itself is unwell, as opposed to a request it rightly refused (a 400, say).</summary>
    public static bool IsTargetFailure(AttemptResult result) =>
        result.Status is AttemptStatus.Failed or AttemptStatus.BrokeAfterStart && result.Error is { } error
        && (error.Status is >= 500 or 429 || FailureConditions.Classify(error) is FailureKind.Timeout or FailureKind.Connection);

    public void Record(TimeSpan latency, bool failed)
    {
        lock (_gate)
        {
            _recent[_next] = (latency.TotalMilliseconds, failed);
            _next = (_next + 1) % RecentCalls;
            _recentCount = Math.Min(_recentCount + 1, RecentCalls);
        }
    }

    /// <summary>The last 100 calls: how many, the share that failed, and latency percentiles.</summary>
    public (int Calls, double ErrorRate, double P50Ms, double P95Ms) Recent()
    {
        (double LatencyMs, bool Failed)[] calls;
        lock (_gate)
        {
            calls = _recent[.._recentCount];
        }

        if (calls.Length == 0)
        {
            return (0, 0, 0, 0);
        }

        var latencies = calls.Select(c => c.LatencyMs).Order().ToArray();
        return (calls.Length, calls.Count(c => c.Failed) / (double)calls.Length,
            latencies[(int)(0.5 * (latencies.Length - 1))], latencies[(int)(0.95 * (latencies.Length - 1))]);
    }
}
