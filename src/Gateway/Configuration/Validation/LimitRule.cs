using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

/// <summary>Limits appear under endpoints, groups and keys; a limit's scope is implied outside endpoints.</summary>
internal sealed class LimitRule : IConfigRule
{
    public void Validate(ConfigValidationContext context)
    {
        var config = context.Config;
        foreach (var (name, endpoint) in config.Endpoints)
        {
            Check(context, $"endpoints.{name}.limits", endpoint.Limits, impliedScope: null);
        }

        foreach (var (name, group) in config.Groups)
        {
            Check(context, $"groups.{name}.limits", group.Limits, impliedScope: "group");
        }

        for (var i = 0; i < config.Keys.Count; i++)
        {
            Check(context, $"keys[{i}].limits", config.Keys[i].Limits, impliedScope: "key");
        }
    }

    private static void Check(ConfigValidationContext context, string path, IReadOnlyList<LimitConfig> limits, string? impliedScope)
    {
        for (var i = 0; i < limits.Count; i++)
        {
            var limit = limits[i];
            var at = $"{path}[{i}]";
            if (limit.Requests is null && limit.Tokens is null && limit.Cost is null)
            {
                context.Error(at, "a limit needs at least one of 'requests', 'tokens' or 'cost'");
            }

            if (limit.Requests is <= 0)
            {
                context.Error($"{at}.requests", $"{limit.Requests} is not positive");
            }

            if (limit.Tokens is <= 0)
            {
                context.Error($"{at}.tokens", $"{limit.Tokens} is not positive");
            }

            if (limit.Cost is <= 0)
            {
                context.Error($"{at}.cost", $"{limit.Cost} is not positive");
            }

            if (impliedScope is not null && limit.Per is not null && limit.Per != impliedScope)
            {
                context.Error($"{at}.per", $"limits here always count per {impliedScope}; remove 'per: {limit.Per}'");
            }
        }
    }
}
