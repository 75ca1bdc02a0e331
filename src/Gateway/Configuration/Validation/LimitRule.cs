using Gateway.Configuration.Binding;
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

        var users = config.Keys.Select(k => k.User).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, user) in config.Users)
        {
            if (!users.Contains(name))
            {
                context.Error($"users.{name}", $"no key belongs to user '{name}'{Suggestions.DidYouMean(name, users)}");
            }

            Check(context, $"users.{name}.limits", user.Limits, impliedScope: "user");
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
        // Two limits counting the same thing over the same window would share one counter and each count it.
        var seen = new Dictionary<(string, string, RateWindow), int>();
        for (var i = 0; i < limits.Count; i++)
        {
            var limit = limits[i];
            var at = $"{path}[{i}]";
            var scope = impliedScope ?? limit.Per ?? "endpoint";
            foreach (var kind in new[] { limit.Requests is null ? null : "requests", limit.Tokens is null ? null : "tokens", limit.Cost is null ? null : "cost" })
            {
                if (kind is not null && !seen.TryAdd((scope, kind, limit.Window), i))
                {
                    context.Error($"{at}.{kind}", $"{path}[{seen[(scope, kind, limit.Window)]}] already limits {kind} per {scope} over {limit.Window}; merge the two");
                }
            }

            // A zero length is a window the binder could not read, already reported.
            if (!limit.Window.IsCalendarMonth && limit.Window.Length != TimeSpan.Zero && (limit.Window.Length < TimeSpan.FromSeconds(1) || limit.Window.Length > TimeSpan.FromDays(31)))
            {
                context.Error($"{at}.window", $"{limit.Window} is outside 1s to 31d; use 'month' for a calendar month");
            }

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
