namespace Gateway.RateLimiting;

/// <summary>One counter to check and charge: a limit as it applies to this request.</summary>
/// <param name="Key">The counter's key (scope, subject, kind and window; never the limit, so a reload keeps counts).</param>
/// <param name="Limit">The most the window may hold.</param>
/// <param name="Amount">What this request takes; 0 only reads.</param>
internal readonly record struct CounterRequest(string Key, WindowSlot Slot, long Limit, long Amount);

/// <summary>A correction to an earlier charge, made in the bucket it was charged to (a later one would count it too long).</summary>
/// <param name="ExpiresAtMs">Unix milliseconds when that bucket stops counting: after it, there is nothing to correct.</param>
internal readonly record struct CounterAdjustment(string Key, long Bucket, long ExpiresAtMs, long Delta);

/// <summary>
/// The answer for all of a request's counters, decided at once: either every counter was charged or none was.
/// </summary>
/// <param name="DeniedIndex">The first counter that had no room, or -1 when granted.</param>
/// <param name="RetryAfterMs">When the denied counter will have room for the request; -1 when it never will (the request is bigger than the limit).</param>
/// <param name="Remaining">Per counter, what is left after this request (never below 0).</param>
/// <param name="ResetMs">Per counter, milliseconds until it is back to empty.</param>
internal sealed record CounterOutcome(int DeniedIndex, long RetryAfterMs, long[] Remaining, long[] ResetMs)
{
    public bool Granted => DeniedIndex < 0;
}

/// <summary>Where counters live: this process's memory, or Redis for every replica.</summary>
internal interface ICounterStore
{
    /// <summary>memory, redis or local (the stand-in while Redis is down).</summary>
    string Name { get; }

    /// <summary>Checks every counter and, when all have room and <paramref name="readOnly"/> is false, charges them all: atomically.</summary>
    ValueTask<CounterOutcome> AcquireAsync(CounterRequest[] counters, bool readOnly, CancellationToken cancellationToken);

    /// <summary>Refunds (negative) or charges (positive) earlier charges once the real amounts are known.</summary>
    ValueTask AdjustAsync(CounterAdjustment[] adjustments, CancellationToken cancellationToken);
}

/// <summary>The store did not answer: down, unreachable or slower than rate_limits.timeout.</summary>
/// <param name="reason">What happened, for the log (may name hosts and ports).</param>
/// <param name="publicReason">What a caller may be told: no addresses.</param>
internal sealed class CounterStoreUnavailableException(string reason, string publicReason, Exception? inner = null) : Exception(reason, inner)
{
    public string PublicReason { get; } = publicReason;
}
