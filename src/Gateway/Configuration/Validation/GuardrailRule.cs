using System.Text.RegularExpressions;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Validation;

internal sealed class GuardrailRule : IConfigRule
{
    private static readonly string[] Entities = Guardrails.Detection.PiiEntities.All;

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
                    context.Error($"{path}.entities[{i}]", $"unknown entity '{entity}'{Suggestions.DidYouMean(entity, Entities)}; known: {string.Join(", ", Entities)}");
                }
            }

            if (guardrail.Entities.Count == 0 && guardrail.Patterns.Count == 0)
            {
                context.Error(path, "detects nothing: list 'entities' or 'patterns'");
            }

            for (var i = 0; i < guardrail.Patterns.Count; i++)
            {
                var pattern = guardrail.Patterns[i];
                if (pattern.Regex is null)
                {
                    continue; // missing: reported by the binder
                }

                try
                {
                    _ = new Regex(pattern.Regex, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException ex)
                {
                    context.Error($"{path}.patterns[{i}].regex", $"not a valid regular expression: {ex.Message}");
                }
            }
        }
    }
}
