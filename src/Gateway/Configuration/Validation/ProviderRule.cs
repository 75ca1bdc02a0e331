using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

internal sealed class ProviderRule : IConfigRule
{
    public void Validate(ConfigValidationContext context)
    {
        foreach (var (name, provider) in context.Config.Providers)
        {
            var path = $"providers.{name}";
            if (provider.Type is null)
            {
                continue; // missing: reported by the binder
            }

            if (!context.Providers.Types.Contains(provider.Type))
            {
                context.Error($"{path}.type", $"unknown provider type '{provider.Type}'{Suggestions.DidYouMean(provider.Type, context.Providers.Types)}; known types: {string.Join(", ", context.Providers.Types.Order(StringComparer.Ordinal))}");
                continue;
            }

            if (provider.BaseUrl is not null && !Urls.IsHttpUrl(provider.BaseUrl, out _))
            {
                context.Error($"{path}.base_url", $"'{provider.BaseUrl}' is not an absolute http(s) URL");
            }

            foreach (var header in provider.Headers.Keys)
            {
                if (header.Length == 0 || header.Any(c => c <= ' ' || c >= 127 || c == ':'))
                {
                    context.Error($"{path}.headers.{header}", $"'{header}' is not a valid HTTP header name");
                }
            }

            context.Providers.Validate(context, path, provider);
            ValidateCircuitBreaker(context, $"{path}.circuit_breaker", provider.CircuitBreaker);
        }
    }

    /// <summary>Polly's own limits, said in the config's terms before Polly would throw at the first call.</summary>
    private static void ValidateCircuitBreaker(ConfigValidationContext context, string path, CircuitBreakerConfig breaker)
    {
        if (breaker.FailureRatio is <= 0 or > 1)
        {
            context.Error($"{path}.failure_ratio", $"{breaker.FailureRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range; a share of failed calls, above 0 and at most 1");
        }

        if (breaker.MinimumThroughput < 2)
        {
            context.Error($"{path}.minimum_throughput", $"{breaker.MinimumThroughput} is too low; at least 2 calls must be seen before the ratio counts");
        }

        if (breaker.SamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            context.Error($"{path}.sampling_duration", $"{Durations.Format(breaker.SamplingDuration)} is too short; at least 500ms");
        }

        if (breaker.BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            context.Error($"{path}.break_duration", $"{Durations.Format(breaker.BreakDuration)} is too short; at least 500ms");
        }
    }
}
