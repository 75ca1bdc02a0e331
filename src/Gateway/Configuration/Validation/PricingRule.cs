namespace Gateway.Configuration.Validation;

internal sealed class PricingRule : IConfigRule
{
    public void Validate(ConfigValidationContext context)
    {
        foreach (var (model, price) in context.Config.Pricing)
        {
            var path = $"pricing.{model}";
            if (price.Input < 0)
            {
                context.Error($"{path}.input", "a price cannot be negative");
            }

            if (price.Output < 0)
            {
                context.Error($"{path}.output", "a price cannot be negative");
            }

            if (price.CachedInput < 0)
            {
                context.Error($"{path}.cached_input", "a price cannot be negative");
            }
        }
    }
}
