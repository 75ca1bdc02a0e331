using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Gateway.Tracking;

/// <summary>
/// Counts tokens the provider did not report (a stream cut short, a server that sends no usage), with GPT-4o's
/// o200k_base encoding: exact for OpenAI's current models, an estimate for others, and marked as estimated.
/// Runs on the trace writer, never on the request path.
/// </summary>
internal sealed class TokenEstimator
{
    // OpenAI's chat format adds a few tokens per message and for the reply's priming.
    private const int TokensPerMessage = 3;
    private const int ReplyPriming = 3;

    private readonly Lazy<Tokenizer> _tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    public TraceRecord Complete(TraceRecord record)
    {
        var result = record;
        if (record.Estimate is { } estimate)
        {
            var prompt = CountPrompt(estimate.RequestBody, estimate.Operation);
            var completion = estimate.CompletionText.Length == 0 ? 0 : _tokenizer.Value.CountTokens(estimate.CompletionText);
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

    private long CountPrompt(byte[] body, string operation)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return operation switch
            {
                "chat" when root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array =>
                    messages.EnumerateArray().Sum(m => TokensPerMessage + CountStrings(m)) + ReplyPriming,
                "completions" when root.TryGetProperty("prompt", out var prompt) => CountStrings(prompt),
                "embeddings" when root.TryGetProperty("input", out var input) => CountStrings(input),
                _ => 0,
            };
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary>Every string under an element (message roles, names, text parts, tool arguments); token-id arrays count one each.</summary>
    private long CountStrings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => _tokenizer.Value.CountTokens(element.GetString()!),
        JsonValueKind.Array => element.EnumerateArray().Sum(e => e.ValueKind == JsonValueKind.Number ? 1 : CountStrings(e)),
        JsonValueKind.Object => element.EnumerateObject().Where(p => p.Name != "image_url").Sum(p => CountStrings(p.Value)),
        _ => 0,
    };
}
