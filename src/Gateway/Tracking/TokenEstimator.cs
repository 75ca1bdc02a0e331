namespace Gateway.Tracking;

/// <summary>
/// Counts tokens the provider did not report (a stream cut short, a server that sends no usage), with GPT-4o's
/// o200k_base encoding: exact for OpenAI's current models, an estimate for others, and marked as estimated.
/// Runs on the trace writer, never on the request path.
/// </summary>
internal sealed class TokenEstimator
{
    private readonly TokenCounter _counter = TokenCounter.Shared;

    public TraceRecord Complete(TraceRecord record)
    {
        var result = record;
        if (record.Estimate is { } estimate)
        {
            var prompt = _counter.CountPrompt(estimate.RequestBody, estimate.Operation);
            var completion = _counter.Count(estimate.CompletionText);
            result = record with
            {
                PromptTokens = prompt,
                CompletionTokens = completion,
                UsageEstimated = true,
                Estimate = null,
            };
        }

        if (result.Price is { } price)
        {
            result = result with
            {
                CostNanoUsd = Pricing.CostNanoUsd(price, result.PromptTokens, result.CompletionTokens, result.CachedTokens),
                Priced = true,
                Price = null,
            };
        }

        return result;
    }
}
