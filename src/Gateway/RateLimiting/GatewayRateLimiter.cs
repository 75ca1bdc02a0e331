using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Gateway.Configuration;
using Gateway.Configuration.Model;
using Gateway.Tracking;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.RateLimiting;

/// <summary>
/// Every limit that applies to a request (its endpoint's, its user's, each of its groups', its key's), decided in
/// one call to the counter store: in memory by default, or Redis (rate_limits.store) for limits shared by every
/// replica. Requests are counted before the call; tokens and cost are reserved from an estimate (the prompt, counted
/// with o200k_base, plus the requested max output) and settled with the provider's usage afterwards.
/// When Redis is down or slow, each replica decides alone with its share of every limit (on_store_down: allow) or
/// refuses (deny), and goes back to Redis as soon as it answers again.
/// </summary>
internal sealed class GatewayRateLimiter : PartitionedRateLimiter<LimitRequest>, IHostedService
{
    private readonly ConditionalWeakTable<GatewayConfig, LimitTable> _tables = new();
    private readonly ConditionalWeakTable<GatewayConfig, LimitTable>.CreateValueCallback _createTable;
    private readonly ConfigStore _config;
    private readonly TimeProvider _time;
    /// <summary>
    /// Characters of prompt counted exactly before a call; the rest is extrapolated (exact counting costs ~30 ms a
    /// megabyte, so 16 K is about 0.5 ms, a quarter of what 64 K cost a 1 MB prompt in the profile of design 0008).
    /// </summary>
    internal const int ExactlyCountedChars = 16 * 1024;

    private readonly TokenCounter _tokens = TokenCounter.Shared;
    private readonly RateLimitsConfig _startup;
    private readonly Counter<long> _rejections;
    private readonly ReplicaCensus _census;
    private readonly StoreFailover _failover;
    private readonly SettlementQueue _settlements;
    private ICounterStore _store;
    private RedisCounterStore? _redis;

    public GatewayRateLimiter(ConfigStore config, TimeProvider time, ILogger<GatewayRateLimiter> logger, IMeterFactory meters)
    {
        _config = config;
        _time = time;
        // Where counters live and their keys' prefix are start-up settings; the limits themselves reload.
        _startup = config.Current.Config.RateLimits ?? new RateLimitsConfig();
        _createTable = c => new LimitTable(c, _startup.KeyPrefix);
        _store = new MemoryCounterStore(time);
        _census = new ReplicaCensus(_startup.Replicas, time);
        var meter = meters.Create("Gateway.RateLimiting");
        _rejections = meter.CreateCounter<long>("gateway.rate_limit.rejections", description: "Requests refused by a gateway rate limit (tags: scope, kind)");
        _failover = new StoreFailover(time, _census, meter, logger);
        _settlements = new SettlementQueue(time, logger);
    }

    /// <summary>Live replicas as last counted in Redis (rate_limits.replicas until then): the local share's divisor.</summary>
    public int Replicas => _census.Replicas;

    public bool StoreIsDown => _failover.IsDown;

    /// <summary>Requests this replica decided alone since it started (the local_decisions metric).</summary>
    public long LocalDecisions => _failover.LocalDecisions;

    /// <summary>memory or redis.</summary>
    public string StoreName => _store.Name;

    /// <summary>The limits of a config revision, compiled on its first request.</summary>
    public LimitTable Table(GatewayConfig config) => _tables.GetValue(config, _createTable);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_startup.Store == "memory")
        {
            return;
        }

        _redis = await RedisCounterStore.ConnectAsync(_startup, _time);
        _store = _redis;
        if (!_redis.IsConnected)
        {
            _failover.MarkDown(_store.Name, "not reachable at start-up");
        }

        // Registered before serving, so the others count this replica from its first request.
        await _census.StartAsync(_redis, cancellationToken);
        _settlements.Start(_redis);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _census.StopAsync();
        // Settlements of the last answers still go out (each call bounded), then the connection closes.
        await _settlements.CompleteAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    public override RateLimiterStatistics? GetStatistics(LimitRequest resource) => null;

    /// <summary>What each limit that applies to the caller has left, without charging anything; endpoint null: all of them.</summary>
    public async Task<(IReadOnlyList<AppliedLimit> Limits, CounterOutcome Outcome, string Store)> PeekAsync(GatewayConfig config, Auth.CallerIdentity caller, string? endpoint, CancellationToken cancellationToken)
    {
        var table = Table(config);
        var limits = endpoint is null ? table.AllFor(caller) : table.For(endpoint, caller).Limits;
        var now = _time.GetUtcNow();
        var counters = limits.Select(l => new CounterRequest(l.Key, WindowSlot.At(l.Window, now), l.Amount, 0)).ToArray();
        if (counters.Length == 0)
        {
            return (limits, new CounterOutcome(-1, 0, [], []), _store.Name);
        }

        try
        {
            var outcome = await AcquireAsync(counters, readOnly: true, config, cancellationToken);
            _failover.MarkUp(_store.Name);
            return (limits, outcome, _store.Name);
        }
        catch (CounterStoreUnavailableException exception)
        {
            _failover.MarkDown(_store.Name, exception.Message);
            return (limits, _failover.Acquire(counters, readOnly: true), _failover.Local.Name);
        }
    }

    protected override RateLimitLease AttemptAcquireCore(LimitRequest resource, int permitCount)
    {
        // Only the in-memory store can answer without waiting; a shared store needs AcquireAsync.
        if (_store is MemoryCounterStore memory && Prepare(resource) is var (limits, counters, tokens, cost, now) && counters.Length > 0)
        {
            return new LimitLease(this, memory, limits.Limits, counters, memory.Acquire(counters, readOnly: false), now, tokens, cost, limits.ReservationPrice);
        }

        return _store is MemoryCounterStore ? LimitLease.Unlimited : LimitLease.StoreDown("a shared limit store needs AcquireAsync");
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(LimitRequest resource, int permitCount, CancellationToken cancellationToken)
    {
        var (limits, counters, tokens, cost, now) = Prepare(resource);
        if (counters.Length == 0)
        {
            return LimitLease.Unlimited;
        }

        LimitLease lease;
        try
        {
            var outcome = await AcquireAsync(counters, readOnly: false, resource.Config, cancellationToken);
            _failover.MarkUp(_store.Name);
            lease = new LimitLease(this, _store, limits.Limits, counters, outcome, now, tokens, cost, limits.ReservationPrice);
        }
        catch (CounterStoreUnavailableException exception)
        {
            _failover.MarkDown(_store.Name, exception.Message);
            if (resource.Config.RateLimits?.OnStoreDown == "deny")
            {
                return LimitLease.StoreDown(exception.PublicReason);
            }

            _failover.CountLocalDecision();
            lease = new LimitLease(this, _failover.Local, limits.Limits, counters, _failover.Acquire(counters, readOnly: false), now, tokens, cost, limits.ReservationPrice);
        }

        if (lease.DeniedLimit is { } denied)
        {
            _rejections.Add(1, new("scope", denied.Scope), new("kind", denied.Kind.Name()));
        }

        return lease;
    }

    /// <summary>The store's answer, or <see cref="CounterStoreUnavailableException"/> once rate_limits.timeout has passed without one.</summary>
    private async ValueTask<CounterOutcome> AcquireAsync(CounterRequest[] counters, bool readOnly, GatewayConfig config, CancellationToken cancellationToken)
    {
        var pending = _store.AcquireAsync(counters, readOnly, cancellationToken);
        if (pending.IsCompleted)
        {
            return pending.Result; // the memory store answers at once
        }

        var timeout = config.RateLimits?.Timeout ?? _startup.Timeout;
        try
        {
            return await pending.AsTask().WaitAsync(timeout, _time, cancellationToken);
        }
        catch (TimeoutException exception)
        {
            var reason = $"no answer within {Durations.Format(timeout)}";
            throw new CounterStoreUnavailableException(reason, reason, exception);
        }
    }

    /// <summary>Applies settlements off the request's path: at once in memory; for Redis through the <see cref="SettlementQueue"/>.</summary>
    internal void Adjust(ICounterStore store, CounterAdjustment[] adjustments)
    {
        if (store is MemoryCounterStore memory)
        {
            memory.Adjust(adjustments);
            return;
        }

        _settlements.Enqueue(adjustments);
    }

    private (AppliedLimits Limits, CounterRequest[] Counters, long Tokens, long Cost, long NowMs) Prepare(LimitRequest request)
    {
        var limits = Table(request.Config).For(request.Endpoint, request.Caller);
        if (limits.Limits.Length == 0)
        {
            return (limits, [], 0, 0, 0);
        }

        long tokens = 0, cost = 0;
        if (limits.NeedsUsage)
        {
            // Exact for prompts up to 16 K characters; a larger prompt's rest is extrapolated (settled with real usage later).
            // What this user sent before (the conversation so far) is not counted again.
            // The resolve stage decodes the texts whenever a limit of the config counts tokens or cost.
            var texts = request.Texts ?? throw new InvalidOperationException("A token or cost limit applies but the request's prompt texts were not decoded (LimitTable.CountsPrompts).");
            var prompt = _tokens.CountPrompt(texts, request.Body.Span, ExactlyCountedChars, request.Caller.User);
            var output = request.MaxOutputTokens ?? 0;
            tokens = prompt + output;
            cost = limits.ReservationPrice is { } price ? Pricing.CostNanoUsd(price, prompt, output, cachedTokens: 0) : 0;
        }

        var now = _time.GetUtcNow();
        var counters = new CounterRequest[limits.Limits.Length];
        for (var i = 0; i < counters.Length; i++)
        {
            var limit = limits.Limits[i];
            var amount = limit.Kind switch { LimitKind.Requests => 1, LimitKind.Tokens => tokens, _ => cost };
            counters[i] = new CounterRequest(limit.Key, WindowSlot.At(limit.Window, now), limit.Amount, amount);
        }

        return (limits, counters, tokens, cost, now.ToUnixTimeMilliseconds());
    }

    /// <summary>Registers this replica and reads how many are alive now (the census does it every 5 s; tests call it directly).</summary>
    internal Task CountReplicasNowAsync(CancellationToken cancellationToken) => _census.CountNowAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _census.Dispose();
        }

        base.Dispose(disposing);
    }
}
