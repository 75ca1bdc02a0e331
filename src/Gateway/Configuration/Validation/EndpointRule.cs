using System.Globalization;
using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

internal sealed class EndpointRule : IConfigRule
{
    private static readonly string[] RetryConditions = ["timeout", "connection"];
    private static readonly string[] FallbackConditions = ["timeout", "connection", "context_length", "content_policy"];

    public void Validate(ConfigValidationContext context)
    {
        var config = context.Config;
        foreach (var (name, endpoint) in config.Endpoints)
        {
            var path = $"endpoints.{name}";
            if (name.Any(char.IsWhiteSpace))
            {
                context.Error(path, $"endpoint name '{name}' contains whitespace; clients send it as \"model\"");
            }

            if (endpoint.Targets.Count == 0)
            {
                context.Error(path, "needs at least one entry in 'targets'");
            }

            ValidateTargets(context, $"{path}.targets", endpoint.Targets, endpoint.Type);
            ValidateTargets(context, $"{path}.fallbacks", endpoint.Fallbacks, endpoint.Type);
            ValidateTargets(context, $"{path}.context_length_fallbacks", endpoint.ContextLengthFallbacks, endpoint.Type);
            ValidateTargets(context, $"{path}.content_policy_fallbacks", endpoint.ContentPolicyFallbacks, endpoint.Type);
            ValidateConditions(context, $"{path}.fallback_on", endpoint.FallbackOn, FallbackConditions);
            Positive(context, $"{path}.timeout", endpoint.Timeout);
            Positive(context, $"{path}.deadline", endpoint.Deadline);
            ValidateTimeouts(context, $"{path}.timeouts", endpoint.Timeouts);
            for (var i = 0; i < endpoint.Targets.Count; i++)
            {
                ValidateTimeouts(context, $"{path}.targets[{i}].timeouts", endpoint.Targets[i].Timeouts);
            }

            for (var i = 0; i < endpoint.Fallbacks.Count; i++)
            {
                ValidateTimeouts(context, $"{path}.fallbacks[{i}].timeouts", endpoint.Fallbacks[i].Timeouts);
            }

            if (endpoint.DefaultMaxTokens is < 1)
            {
                context.Error($"{path}.default_max_tokens", $"{endpoint.DefaultMaxTokens} is not positive; it is the number of tokens an answer may use");
            }

            if (endpoint.Retry is { } retry)
            {
                if (retry.Attempts is < 1 or > 10)
                {
                    context.Error($"{path}.retry.attempts", $"{retry.Attempts} is out of range; attempts (the first included) must be 1 to 10");
                }

                ValidateConditions(context, $"{path}.retry.on", retry.On, RetryConditions);
                Positive(context, $"{path}.retry.backoff", retry.Backoff);
                Positive(context, $"{path}.retry.max_backoff", retry.MaxBackoff);
                if (retry.MaxBackoff < retry.Backoff)
                {
                    context.Error($"{path}.retry.max_backoff", "is shorter than retry.backoff; it caps the delays that start at backoff");
                }
            }

            for (var i = 0; i < endpoint.Guardrails.Count; i++)
            {
                var guardrail = endpoint.Guardrails[i];
                if (!config.Guardrails.ContainsKey(guardrail))
                {
                    context.Error($"{path}.guardrails[{i}]", $"unknown guardrail '{guardrail}'{Suggestions.DidYouMean(guardrail, config.Guardrails.Keys)}; define it under the top-level 'guardrails'");
                }
            }
        }
    }

    private static void ValidateConditions(ConfigValidationContext context, string path, IReadOnlyList<string> conditions, string[] named)
    {
        for (var i = 0; i < conditions.Count; i++)
        {
            var condition = conditions[i];
            var isStatus = int.TryParse(condition, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 400 and <= 599;
            if (!isStatus && !named.Contains(condition))
            {
                context.Error($"{path}[{i}]", $"'{condition}' is not a condition here; use an HTTP status 400-599 or {string.Join(", ", named)}");
            }
        }
    }

    private static void ValidateTimeouts(ConfigValidationContext context, string path, TimeoutsConfig? timeouts)
    {
        if (timeouts is null)
        {
            return;
        }

        Positive(context, $"{path}.connect", timeouts.Connect);
        Positive(context, $"{path}.first_byte", timeouts.FirstByte);
        Positive(context, $"{path}.idle", timeouts.Idle);
    }

    private static void Positive(ConfigValidationContext context, string path, TimeSpan? duration)
    {
        if (duration is { } value && value <= TimeSpan.Zero)
        {
            context.Error(path, $"{Durations.Format(value)} is not a positive duration");
        }
    }

    private static void ValidateTargets(ConfigValidationContext context, string path, IReadOnlyList<TargetConfig> targets, string? endpointType)
    {
        var providers = context.Config.Providers;
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (target.Provider is null || target.Model is null)
            {
                continue; // reported by the binder as a missing required key
            }

            if (!providers.TryGetValue(target.Provider, out var provider))
            {
                context.Error($"{path}[{i}].provider", $"unknown provider '{target.Provider}'{Suggestions.DidYouMean(target.Provider, providers.Keys)}; define it under 'providers'");
            }
            else if (provider.Type is not null && endpointType is not null && context.Providers.Unsupported(target.Provider, provider.Type, endpointType) is { } unsupported)
            {
                context.Error($"{path}[{i}].provider", unsupported);
            }

            if (string.IsNullOrWhiteSpace(target.Model))
            {
                context.Error($"{path}[{i}].model", "the provider's model name must not be empty");
            }

            if (target.Weight <= 0)
            {
                context.Error($"{path}[{i}].weight", $"{target.Weight.ToString(CultureInfo.InvariantCulture)} is not positive; a weight is a share of the traffic, greater than 0");
            }
        }
    }
}
