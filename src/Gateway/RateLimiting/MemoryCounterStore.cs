namespace Gateway.RateLimiting;

/// <summary>
/// Counters in this process: the embedded default (no rate_limits.store), and each replica's stand-in while Redis
/// is down. The same bucketed sliding window as the Redis script (redis-limits.lua), under one lock, so every
/// request's counters are checked and charged together.
/// </summary>
internal sealed class MemoryCounterStore(TimeProvider time, string name = "memory") : ICounterStore
{
    private const int SweepEvery = 10_000;

    private readonly Dictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _untilSweep = SweepEvery;

    public string Name { get; } = name;

    /// <summary>Counters held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _counters.Count;
            }
        }
    }

    public ValueTask<CounterOutcome> AcquireAsync(CounterRequest[] counters, bool readOnly, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Acquire(counters, readOnly));

    public CounterOutcome Acquire(CounterRequest[] counters, bool readOnly)
    {
        var remaining = new long[counters.Length];
        var reset = new long[counters.Length];
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            SweepNowAndThen(now);
            var denied = -1;
            long retryAfter = 0;
            for (var i = 0; i < counters.Length; i++)
            {
                var request = counters[i];
                var total = LiveTotal(request.Key, request.Slot, readOnly);
                if (denied < 0 && request.Amount > 0 && total + request.Amount > request.Limit)
                {
                    denied = i;
                    retryAfter = RetryAfter(_counters.GetValueOrDefault(request.Key), request, total);
                }

                remaining[i] = Math.Max(0, request.Limit - total);
            }

            var granted = denied < 0;
            for (var i = 0; i < counters.Length; i++)
            {
                var request = counters[i];
                var counter = _counters.GetValueOrDefault(request.Key);
                var held = request.Limit - remaining[i];
                if (granted && !readOnly && request.Amount > 0)
                {
                    counter ??= _counters[request.Key] = new Counter(request.Slot.Bucket);
                    counter.Add(request.Slot.Bucket, request.Amount);
                    counter.ExpiresAtMs = now + request.Slot.MsUntilReset;
                    remaining[i] = Math.Max(0, remaining[i] - request.Amount);
                    held += request.Amount;
                }

                // As the Redis script: counted now, the window is back to empty once the current bucket expires.
                reset[i] = held > 0 ? request.Slot.MsUntilReset : 0;
            }

            return new CounterOutcome(denied, retryAfter, remaining, reset);
        }
    }

    public ValueTask AdjustAsync(CounterAdjustment[] adjustments, CancellationToken cancellationToken)
    {
        Adjust(adjustments);
        return ValueTask.CompletedTask;
    }

    public void Adjust(CounterAdjustment[] adjustments)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            foreach (var adjustment in adjustments)
            {
                // A charge whose bucket has expired no longer counts: nothing to correct.
                if (adjustment.ExpiresAtMs <= now)
                {
                    continue;
                }

                if (!_counters.TryGetValue(adjustment.Key, out var counter))
                {
                    if (adjustment.Delta <= 0)
                    {
                        continue;
                    }

                    counter = _counters[adjustment.Key] = new Counter(adjustment.Bucket) { ExpiresAtMs = adjustment.ExpiresAtMs };
                }

                counter.Add(adjustment.Bucket, adjustment.Delta);
            }
        }
    }

    /// <summary>
    /// Drops counters whose every count has expired (as Redis expires their keys), so users and limits that are
    /// gone from the config, or idle, do not hold memory.
    /// </summary>
    private void SweepNowAndThen(long now)
    {
        if (--_untilSweep > 0)
        {
            return;
        }

        _untilSweep = SweepEvery;
        foreach (var (key, counter) in _counters)
        {
            if (counter.ExpiresAtMs <= now)
            {
                _counters.Remove(key);
            }
        }
    }

    /// <summary>What a counter holds in the current window; writing drops expired buckets on the way.</summary>
    private long LiveTotal(string key, WindowSlot slot, bool readOnly)
    {
        if (!_counters.TryGetValue(key, out var counter))
        {
            return 0;
        }

        var oldest = slot.Bucket - slot.Span;
        if (readOnly)
        {
            return counter.LiveTotal(oldest);
        }

        counter.Expire(oldest);
        if (counter.Total <= 0)
        {
            _counters.Remove(key);
            return 0;
        }

        return counter.Total;
    }

    /// <summary>When enough of the oldest counts will have expired for the request to fit; -1 if it never can.</summary>
    private static long RetryAfter(Counter? counter, CounterRequest request, long total)
    {
        if (request.Amount > request.Limit || counter is null)
        {
            return -1;
        }

        var excess = total + request.Amount - request.Limit;
        foreach (var (bucket, amount) in counter.Buckets.OrderBy(b => b.Key))
        {
            excess -= amount;
            if (excess <= 0)
            {
                return request.Slot.MsUntilExpiry(bucket);
            }
        }

        return request.Slot.MsUntilReset;
    }

    private sealed class Counter(long first)
    {
        public Dictionary<long, long> Buckets { get; } = [];

        public long Total { get; set; }

        /// <summary>Unix milliseconds when the newest count stops counting.</summary>
        public long ExpiresAtMs { get; set; }

        /// <summary>No bucket before this one holds anything.</summary>
        public long First { get; private set; } = first;

        public void Add(long bucket, long amount)
        {
            var value = Buckets.GetValueOrDefault(bucket) + amount;
            // A refund never takes a bucket below zero (its charge may have been corrected already).
            var applied = value < 0 ? amount - value : amount;
            Buckets[bucket] = Math.Max(0, value);
            Total += applied;
            First = Math.Min(First, bucket);
        }

        public void Expire(long oldest)
        {
            if (First >= oldest)
            {
                return;
            }

            foreach (var bucket in Buckets.Keys.Where(b => b < oldest).ToList())
            {
                Total -= Buckets[bucket];
                Buckets.Remove(bucket);
            }

            First = oldest;
        }

        public long LiveTotal(long oldest) => First >= oldest ? Total : Buckets.Where(b => b.Key >= oldest).Sum(b => b.Value);
    }
}
