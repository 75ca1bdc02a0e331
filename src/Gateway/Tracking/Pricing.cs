using Gateway.Configuration.Model;

namespace Gateway.Tracking;

/// <summary>Turns tokens into cost with the pricing table's USD-per-1M-token prices.</summary>
internal static class Pricing
{
    /// <summary>
    /// The price of what answered: "provider/model" first (one model priced differently at two providers),
    /// then the target's model, then the model the provider named in its answer (a dated snapshot).
    /// </summary>
    public static ModelPrice? Find(GatewayConfig config, string? provider, string? targetModel, string? answeredModel)
    {
        var table = config.Pricing;
        if (table.Count == 0 || targetModel is null)
        {
            return null;
        }

        if (provider is not null && table.TryGetValue(provider + "/" + targetModel, out var price))
        {
            return price;
        }

        if (table.TryGetValue(targetModel, out price))
        {
            return price;
        }

        return answeredModel is not null && table.TryGetValue(answeredModel, out price) ? price : null;
    }

    /// <summary>
    /// Cost in nano-USD, rounded once per request: uncached prompt tokens at the input price, cached ones at the
    /// cached-input price (the input price when none is set), completion tokens (reasoning included) at the output price.
    /// </summary>
    public static long CostNanoUsd(ModelPrice price, long promptTokens, long completionTokens, long cachedTokens)
    {
        var cached = Math.Min(cachedTokens, promptTokens);
        var usdPerMillion = (promptTokens - cached) * price.Input
            + cached * (price.CachedInput ?? price.Input)
            + completionTokens * price.Output;
        // USD per 1M tokens × tokens / 10⁶ = USD; × 10⁹ = nano-USD: × 1000 in all.
        return (long)decimal.Round(usdPerMillion * 1000m, MidpointRounding.AwayFromZero);
    }
}
