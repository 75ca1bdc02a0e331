using Gateway.Core;

namespace Gateway.Tracking;

/// <summary>
/// Completes a record on the trace writer, never on the request path: expands what the request path kept compact
/// (spans, the request preview), counts tokens the provider did not report
/// (a stream cut short, a server that sends no usage) with GPT-4o's o200k_base encoding (exact for OpenAI's
/// current models, an estimate for others, and marked as estimated), prices it, and redacts its captured bodies
/// with the endpoint's guardrails.
/// </summary>
internal sealed class TokenEstimator
{
    private readonly TokenCounter _counter = TokenCounter.Shared;

    public TraceRecord Complete(TraceRecord record)
    {
        var result = record;
        if (record.PendingSpans is not null || record.PendingRequestBody is not null)
        {
            // What the request path kept compact, in the store's shape (before redaction reads the bodies).
            result = result with
            {
                PackedSpans = record.PendingSpans is { } spans ? Store.TracePacking.PackSpans(spans) : record.PackedSpans,
                RequestBody = record.PendingRequestBody is { } body ? System.Text.Encoding.UTF8.GetString(body) : record.RequestBody,
                PendingSpans = null,
                PendingRequestBody = null,
            };
        }

        if (record.Estimate is { } estimate)
        {
            long prompt = 0;
            using (var texts = new PromptTexts())
            {
                if (estimate.Reader.TryRead(estimate.RequestBody, estimate.Kind, out _, texts) is null)
                {
                    prompt = _counter.CountPrompt(texts, estimate.RequestBody);
                }
            }

            var completion = TokenCounter.Count(estimate.CompletionText);
            result = result with
            {
                PromptTokens = prompt,
                CompletionTokens = completion,
                UsageEstimated = true,
                Estimate = null,
            };
        }

        if (result.RedactBodies is { } redact)
        {
            result = result with
            {
                RequestBody = result.RequestBody is { } sent ? redact(sent) : null,
                ResponseBody = result.ResponseBody is { } answer ? redact(answer) : null,
                RedactBodies = null,
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
