using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

/// <summary>Runs every rule and returns all problems, ordered as they appear in the file.</summary>
internal static class ConfigValidator
{
    private static readonly IConfigRule[] Rules =
    [
        new ServerRule(),
        new ProviderRule(),
        new EndpointRule(),
        new KeyRule(),
        new LimitRule(),
        new GuardrailRule(),
        new PricingRule(),
        new StoreRule(),
    ];

    public static IReadOnlyList<ConfigError> Validate(GatewayConfig config, SourceMap sourceMap, IProviderRules providers)
    {
        var context = new ConfigValidationContext(config, sourceMap, providers);
        foreach (var rule in Rules)
        {
            rule.Validate(context);
        }

        return context.Errors;
    }
}
