namespace Gateway.Tracking.Store;

/// <summary>The sums a batch adds to one rollup row.</summary>
internal readonly record struct RollupTotals(long Requests, long Errors, long PromptTokens, long CompletionTokens, long CachedTokens, long ReasoningTokens, long Estimated, long CostNanoUsd)
{
    public static RollupTotals Sum(IEnumerable<TraceRecord> traces)
    {
        var totals = default(RollupTotals);
        foreach (var t in traces)
        {
            totals = new RollupTotals(
                totals.Requests + 1,
                totals.Errors + (t.State == "ERROR" ? 1 : 0),
                totals.PromptTokens + t.PromptTokens,
                totals.CompletionTokens + t.CompletionTokens,
                totals.CachedTokens + t.CachedTokens,
                totals.ReasoningTokens + t.ReasoningTokens,
                totals.Estimated + (t.UsageEstimated ? 1 : 0),
                totals.CostNanoUsd + t.CostNanoUsd);
        }

        return totals;
    }
}
