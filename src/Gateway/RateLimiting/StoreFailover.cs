using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Gateway.RateLimiting;

/// <summary>
/// A replica on its own while the shared store is down or slow: it notes the outage once, decides with counters of
/// its own against its share of every limit, and notes once when the store answers again.
/// </summary>
internal sealed partial class StoreFailover
{
    private readonly MemoryCounterStore _local;
    private readonly ReplicaCensus _census;
    private readonly ILogger _logger;
    private readonly Counter<long> _localDecisions;
    private int _storeDown;
    private long _localDecisionCount;

    public StoreFailover(TimeProvider time, ReplicaCensus census, Meter meter, ILogger logger)
    {
        _local = new MemoryCounterStore(time, "local");
        _census = census;
        _logger = logger;
        _localDecisions = meter.CreateCounter<long>("gateway.rate_limit.local_decisions", description: "Requests decided by a replica alone because the shared store was down or slow");
        meter.CreateObservableGauge("gateway.rate_limit.store_up", () => _storeDown == 0 ? 1 : 0, description: "1 while the shared limit store answers, 0 while replicas decide alone");
    }

    /// <summary>This replica's own counters, used while the shared store is down.</summary>
    public MemoryCounterStore Local => _local;

    public bool IsDown => _storeDown == 1;

    /// <summary>Requests this replica decided alone since it started (the local_decisions metric).</summary>
    public long LocalDecisions => Interlocked.Read(ref _localDecisionCount);

    /// <summary>Decides alone: the local counters, against this replica's share of each limit.</summary>
    public CounterOutcome Acquire(CounterRequest[] counters, bool readOnly) => _local.Acquire(Shares(counters), readOnly);

    public void CountLocalDecision()
    {
        _localDecisions.Add(1);
        Interlocked.Increment(ref _localDecisionCount);
    }

    public void MarkDown(string store, string reason)
    {
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            LogStoreDown(_logger, store, reason, _census.Replicas);
        }
    }

    public void MarkUp(string store)
    {
        if (_storeDown == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
        {
            LogStoreBack(_logger, store);
        }
    }

    /// <summary>Each replica's share of every limit while it decides alone, rounded up so a small limit still admits.</summary>
    private CounterRequest[] Shares(CounterRequest[] counters)
    {
        var replicas = Math.Max(1, _census.Replicas);
        return replicas == 1 ? counters : [.. counters.Select(c => c with { Limit = (c.Limit + replicas - 1) / replicas })];
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Rate-limit store {Store} is down ({Reason}); each replica now decides alone with 1/{Replicas} of every limit, or refuses if on_store_down is deny")]
    private static partial void LogStoreDown(ILogger logger, string store, string reason, int replicas);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Rate-limit store {Store} answers again; limits are shared by all replicas once more")]
    private static partial void LogStoreBack(ILogger logger, string store);
}
