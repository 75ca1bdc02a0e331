using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
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
internal sealed partial class GatewayRateLimiter : PartitionedRateLimiter<LimitRequest>, IHostedService
{
    private static readonly TimeSpan CensusInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReplicaLiveness = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SettlementTimeout = TimeSpan.FromSeconds(2);
    private const int MaxSettlementBatch = 256;

    private readonly ConditionalWeakTable<GatewayConfig, LimitTable> _tables = new();
    private readonly ConditionalWeakTable<GatewayConfig, LimitTable>.CreateValueCallback _createTable;
    private readonly ConfigStore _config;
    private readonly TimeProvider _time;
    private readonly ILogger<GatewayRateLimiter> _logger;
    /// <summary>Characters of prompt counted exactly before a call; the rest is extrapolated (exact counting costs ~30 ms a megabyte).</summary>
    internal const int ExactlyCountedChars = 64 * 1024;

    private readonly TokenCounter _tokens = TokenCounter.Shared;
    private readonly RateLimitsConfig _startup;
    private readonly MemoryCounterStore _local;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _localDecisions;
    private readonly string _replicaId = Guid.NewGuid().ToString("N")[..12];
    private readonly CancellationTokenSource _stopping = new();
    private ICounterStore _store;
    private RedisCounterStore? _redis;
    private readonly Channel<CounterAdjustment> _settlements = Channel.CreateUnbounded<CounterAdjustment>(new UnboundedChannelOptions { SingleReader = true });
    private Task _census = Task.CompletedTask;
    private Task _settling = Task.CompletedTask;
    private int _storeDown;
    private long _localDecisionCount;

    public GatewayRateLimiter(ConfigStore config, TimeProvider time, ILogger<GatewayRateLimiter> logger, IMeterFactory meters)
    {
        _config = config;
        _time = time;
        _logger = logger;
        // Where counters live and their keys' prefix are start-up settings; the limits themselves reload.
        _startup = config.Current.Config.RateLimits ?? new RateLimitsConfig();
        _createTable = c => new LimitTable(c, _startup.KeyPrefix);
        _store = new MemoryCounterStore(time);
        _local = new MemoryCounterStore(time, "local");
        Replicas = _startup.Replicas;
        var meter = meters.Create("Gateway.RateLimiting");
        _rejections = meter.CreateCounter<long>("gateway.rate_limit.rejections", description: "Requests refused by a gateway rate limit (tags: scope, kind)");
        _localDecisions = meter.CreateCounter<long>("gateway.rate_limit.local_decisions", description: "Requests decided by a replica alone because the shared store was down or slow");
        meter.CreateObservableGauge("gateway.rate_limit.store_up", () => _storeDown == 0 ? 1 : 0, description: "1 while the shared limit store answers, 0 while replicas decide alone");
    }

    /// <summary>Live replicas as last counted in Redis (rate_limits.replicas until then): the local share's divisor.</summary>
    public int Replicas { get; private set; }

    public bool StoreIsDown => _storeDown == 1;

    /// <summary>Requests this replica decided alone since it started (the local_decisions metric).</summary>
    public long LocalDecisions => Interlocked.Read(ref _localDecisionCount);

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
            MarkDown("not reachable at start-up");
        }

        // Registered before serving, so the others count this replica from its first request.
        await CountReplicasNowAsync(cancellationToken);
        _census = CountReplicasAsync(_stopping.Token);
        _settling = SettleAsync(_redis);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _census.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Settlements of the last answers still go out (each call bounded), then the connection closes.
        _settlements.Writer.TryComplete();
        await _settling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
            MarkUp();
            return (limits, outcome, _store.Name);
        }
        catch (CounterStoreUnavailableException exception)
        {
            MarkDown(exception.Message);
            return (limits, _local.Acquire(Shares(counters), readOnly: true), _local.Name);
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
            MarkUp();
            lease = new LimitLease(this, _store, limits.Limits, counters, outcome, now, tokens, cost, limits.ReservationPrice);
        }
        catch (CounterStoreUnavailableException exception)
        {
            MarkDown(exception.Message);
            if (resource.Config.RateLimits?.OnStoreDown == "deny")
            {
                return LimitLease.StoreDown(exception.PublicReason);
            }

            _localDecisions.Add(1);
            Interlocked.Increment(ref _localDecisionCount);
            lease = new LimitLease(this, _local, limits.Limits, counters, _local.Acquire(Shares(counters), readOnly: false), now, tokens, cost, limits.ReservationPrice);
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

    /// <summary>
    /// Applies settlements off the request's path: at once in memory; for Redis through a queue that one loop drains,
    /// sending whatever has gathered while the previous call was out in one script call. Under light load each
    /// goes alone and at once; under heavy load they share calls, so Redis is not asked twice per request.
    /// </summary>
    internal void Adjust(ICounterStore store, CounterAdjustment[] adjustments)
    {
        if (store is MemoryCounterStore memory)
        {
            memory.Adjust(adjustments);
            return;
        }

        foreach (var adjustment in adjustments)
        {
            // Unbounded, but fed at most once per answered request and drained as fast as Redis answers.
            _settlements.Writer.TryWrite(adjustment);
        }
    }

    private async Task SettleAsync(RedisCounterStore redis)
    {
        var batch = new List<CounterAdjustment>(MaxSettlementBatch);
        var reader = _settlements.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxSettlementBatch && reader.TryRead(out var adjustment))
            {
                batch.Add(adjustment);
            }

            try
            {
                await redis.AdjustAsync([.. batch], CancellationToken.None).AsTask().WaitAsync(SettlementTimeout, _time);
            }
            catch (Exception exception) when (exception is CounterStoreUnavailableException or TimeoutException)
            {
                LogSettlementLost(_logger, redis.Name, batch.Count, exception.Message);
            }

            batch.Clear();
        }
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
            // Exact for prompts up to 64 K characters; a larger prompt's rest is extrapolated (settled with real usage later).
            // What this user sent before (the conversation so far) is not counted again.
            var prompt = _tokens.CountPrompt(request.Body.Span, request.Operation, ExactlyCountedChars, request.Caller.User);
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

    /// <summary>Each replica's share of every limit while it decides alone, rounded up so a small limit still admits.</summary>
    private CounterRequest[] Shares(CounterRequest[] counters)
    {
        var replicas = Math.Max(1, Replicas);
        return replicas == 1 ? counters : [.. counters.Select(c => c with { Limit = (c.Limit + replicas - 1) / replicas })];
    }

    private void MarkDown(string reason)
    {
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            LogStoreDown(_logger, _store.Name, reason, Replicas);
        }
    }

    private void MarkUp()
    {
        if (_storeDown == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
        {
            LogStoreBack(_logger, _store.Name);
        }
    }

    /// <summary>Each replica registers itself every few seconds and learns how many are alive: its share while Redis is down.</summary>
    private async Task CountReplicasAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(CensusInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await CountReplicasNowAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>Registers this replica and reads how many are alive now (the census does it every 5 s; tests call it directly).</summary>
    internal async Task CountReplicasNowAsync(CancellationToken cancellationToken)
    {
        if (_redis is not { IsConnected: true } redis)
        {
            return;
        }

        try
        {
            Replicas = Math.Max(1, await redis.CountReplicasAsync(_replicaId, ReplicaLiveness, cancellationToken));
        }
        catch (Exception exception) when (exception is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The last count stands until Redis answers again.
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stopping.Dispose();
        }

        base.Dispose(disposing);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Rate-limit store {Store} is down ({Reason}); each replica now decides alone with 1/{Replicas} of every limit, or refuses if on_store_down is deny")]
    private static partial void LogStoreDown(ILogger logger, string store, string reason, int replicas);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Rate-limit store {Store} answers again; limits are shared by all replicas once more")]
    private static partial void LogStoreBack(ILogger logger, string store);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Debug, Message = "{Count} usage settlements for the {Store} rate-limit store were lost ({Reason}); their reservations stand")]
    private static partial void LogSettlementLost(ILogger logger, string store, int count, string reason);
}
