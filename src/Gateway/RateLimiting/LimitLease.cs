using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;
using Gateway.Configuration.Model;
using Gateway.Tracking;

namespace Gateway.RateLimiting;

/// <summary>
/// The limiter's answer for one request: granted or not, which limit refused, the numbers for the
/// x-ratelimit-* headers, and (for token and cost limits) what was reserved, to settle once usage is known.
/// </summary>
internal sealed class LimitLease : RateLimitLease
{
    private readonly GatewayRateLimiter? _limiter;
    private readonly ICounterStore? _store;
    private readonly CounterRequest[] _counters;
    private readonly AppliedLimit[] _limits;
    private readonly CounterOutcome? _outcome;
    private readonly long _chargedAtMs;
    private readonly ModelPrice? _reservationPrice;
    private int _settled;

    private LimitLease(bool acquired, string? storeDownReason) : this(null, null, [], [], null, 0, 0, 0, null)
    {
        IsAcquired = acquired;
        StoreDownReason = storeDownReason;
    }

    internal LimitLease(GatewayRateLimiter? limiter, ICounterStore? store, AppliedLimit[] limits, CounterRequest[] counters, CounterOutcome? outcome, long chargedAtMs, long reservedTokens, long reservedCost, ModelPrice? reservationPrice)
    {
        _reservationPrice = reservationPrice;
        _limiter = limiter;
        _store = store;
        _limits = limits;
        _counters = counters;
        _outcome = outcome;
        _chargedAtMs = chargedAtMs;
        ReservedTokens = reservedTokens;
        ReservedCostNanoUsd = reservedCost;
        IsAcquired = outcome?.Granted ?? true;
    }

    /// <summary>No limit applies: nothing to count, no headers.</summary>
    public static LimitLease Unlimited { get; } = new(acquired: true, storeDownReason: null);

    public static LimitLease StoreDown(string reason) => new(acquired: false, reason);

    public override bool IsAcquired { get; }

    /// <summary>Set when the store was down and rate_limits.on_store_down is deny.</summary>
    public string? StoreDownReason { get; }

    /// <summary>memory, redis or local (deciding alone while Redis is down); null when no limit applied.</summary>
    public string? StoreName => _store?.Name;

    public bool HasLimits => _limits.Length > 0;

    public long ReservedTokens { get; }

    public long ReservedCostNanoUsd { get; }

    /// <summary>The limit that refused the request.</summary>
    public AppliedLimit? DeniedLimit => _outcome is { Granted: false } outcome ? _limits[outcome.DeniedIndex] : null;

    /// <summary>The request needs more than the limit allows in any window: waiting will not help.</summary>
    public bool NeverFits => _outcome is { Granted: false, RetryAfterMs: < 0 };

    public TimeSpan? RetryAfter => _outcome is { Granted: false, RetryAfterMs: >= 0 } outcome ? TimeSpan.FromMilliseconds(outcome.RetryAfterMs) : null;

    /// <summary>What the refused request asked of the limit that refused it.</summary>
    public long DeniedAmount => _outcome is { Granted: false } outcome ? _counters[outcome.DeniedIndex].Amount : 0;

    public override IEnumerable<string> MetadataNames => IsAcquired ? [] : [MetadataName.RetryAfter.Name, MetadataName.ReasonPhrase.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = metadataName switch
        {
            _ when IsAcquired => null,
            _ when metadataName == MetadataName.RetryAfter.Name => RetryAfter,
            _ when metadataName == MetadataName.ReasonPhrase.Name => StoreDownReason ?? DeniedLimit?.Describe(),
            _ => null,
        };
        return metadata is not null;
    }

    /// <summary>The limit of one kind with the least left: the one the x-ratelimit-* headers describe.</summary>
    public bool TryGetTightest(LimitKind kind, [NotNullWhen(true)] out AppliedLimit? limit, out long remaining, out long resetMs)
    {
        limit = null;
        remaining = resetMs = 0;
        if (_outcome is not { } outcome)
        {
            return false;
        }

        for (var i = 0; i < _limits.Length; i++)
        {
            if (_limits[i].Kind == kind && (limit is null || outcome.Remaining[i] < remaining))
            {
                limit = _limits[i];
                remaining = outcome.Remaining[i];
                resetMs = outcome.ResetMs[i];
            }
        }

        return limit is not null;
    }

    /// <summary>
    /// Corrects the reservation to what the request really used: refunds the unused part of the estimate, or
    /// charges what went past it. Once per lease, off the request's path.
    /// </summary>
    public void Settle(long tokens, long costNanoUsd)
    {
        if (!IsAcquired || _store is null || _limiter is null || Interlocked.Exchange(ref _settled, 1) == 1)
        {
            return;
        }

        var adjustments = new List<CounterAdjustment>();
        for (var i = 0; i < _limits.Length; i++)
        {
            var delta = _limits[i].Kind switch
            {
                LimitKind.Tokens => tokens - ReservedTokens,
                LimitKind.Cost => costNanoUsd - ReservedCostNanoUsd,
                _ => 0,
            };
            if (delta != 0)
            {
                var slot = _counters[i].Slot;
                adjustments.Add(new CounterAdjustment(_counters[i].Key, slot.Bucket, _chargedAtMs + slot.MsUntilReset, delta));
            }
        }

        if (adjustments.Count > 0)
        {
            _limiter.Adjust(_store, [.. adjustments]);
        }
    }

    /// <summary>Settles from what the provider reported; without a report, a failed request is refunded and a successful one keeps its estimate.</summary>
    public void Settle(GatewayConfig config, UsageCounts? usage, bool failed, string? provider, string? model, string? answeredModel)
    {
        if (!HasLimits || _outcome is null)
        {
            return;
        }

        if (usage is { } counts)
        {
            // Not knowing who answered (no trace), the price reserved with stands in: the dearest of the endpoint's.
            var price = Pricing.Find(config, provider, model, answeredModel) ?? _reservationPrice;
            var cost = price is null ? 0 : Pricing.CostNanoUsd(price, counts.PromptTokens, counts.CompletionTokens, counts.CachedTokens);
            Settle(counts.PromptTokens + counts.CompletionTokens, cost);
        }
        else if (failed)
        {
            Settle(0, 0);
        }
    }

    protected override void Dispose(bool disposing)
    {
        // Window limits hold nothing to hand back on dispose: what a request used stays counted for the window.
        base.Dispose(disposing);
    }
}
