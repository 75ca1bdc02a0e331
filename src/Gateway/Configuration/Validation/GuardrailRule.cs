using System.Text.RegularExpressions;
using Gateway.Configuration.Binding;
using PhoneNumbers;

using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

internal sealed partial class GuardrailRule : IConfigRule
{
    private static readonly string[] Entities = PiiEntities.All;

    [GeneratedRegex("^[A-Z][A-Z0-9_]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex PatternName();

    public void Validate(ConfigValidationContext context)
    {
        foreach (var (name, guardrail) in context.Config.Guardrails)
        {
            var path = $"guardrails.{name}";
            for (var i = 0; i < guardrail.Entities.Count; i++)
            {
                var entity = guardrail.Entities[i];
                if (!Entities.Contains(entity))
                {
                    var hint = entity == "CUSTOM" ? "; list your own patterns under 'patterns' instead" : Suggestions.DidYouMean(entity, Entities);
                    context.Error($"{path}.entities[{i}]", $"unknown entity '{entity}'{hint}; known: {string.Join(", ", Entities)}");
                }
            }

            if (guardrail.Entities.Count == 0 && guardrail.Patterns.Count == 0)
            {
                context.Error(path, "detects nothing: list 'entities' or 'patterns'");
            }

            if (!PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(guardrail.PhoneRegion))
            {
                context.Error($"{path}.phone_region", $"'{guardrail.PhoneRegion}' is not a region libphonenumber knows; use an ISO 3166 code in capitals such as US, GB, DE or IN");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < guardrail.Patterns.Count; i++)
            {
                ValidatePattern(context, $"{path}.patterns[{i}]", guardrail.Patterns[i], names);
            }

            foreach (var (entity, threshold) in guardrail.Thresholds)
            {
                if (!Entities.Contains(entity) && !names.Contains(entity))
                {
                    var known = Entities.Concat(names).ToList();
                    context.Error($"{path}.thresholds.{entity}", $"'{entity}' is neither a built-in entity nor one of this guardrail's patterns{Suggestions.DidYouMean(entity, known)}");
                }

                if (threshold is < 0 or > 1)
                {
                    context.Error($"{path}.thresholds.{entity}", $"{threshold} is outside 0-1");
                }
            }
        }
    }

    private static void ValidatePattern(ConfigValidationContext context, string path, Model.CustomPatternConfig pattern, HashSet<string> names)
    {
        if (pattern.Name is { } patternName)
        {
            if (!PatternName().IsMatch(patternName))
            {
                context.Error($"{path}.name", $"'{patternName}' must be capitals, digits and '_' (starting with a capital, at most 40): it becomes the placeholder <{patternName}_1>");
            }
            else if (Entities.Contains(patternName))
            {
                context.Error($"{path}.name", $"'{patternName}' is a built-in entity; give the pattern a name of its own");
            }
            else if (!names.Add(patternName))
            {
                context.Error($"{path}.name", $"'{patternName}' is used by another pattern of this guardrail");
            }
        }

        if (pattern.Regex is { } regex)
        {
            try
            {
                var compiled = PatternRegex.Compile(regex);
                if (compiled.IsMatch(""))
                {
                    context.Error($"{path}.regex", "matches the empty string: it would find something everywhere");
                }
            }
            catch (ArgumentException ex)
            {
                context.Error($"{path}.regex", $"not a valid regular expression: {ex.Message}");
            }
        }

        if (pattern.Score is < 0 or > 1)
        {
            context.Error($"{path}.score", $"{pattern.Score} is outside 0-1");
        }

        foreach (var word in pattern.Context.Concat(pattern.NegativeContext))
        {
            if (string.IsNullOrWhiteSpace(word))
            {
                context.Error($"{path}.context", "has an empty word");
            }
        }
    }
}
