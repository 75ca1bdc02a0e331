using Gateway.Configuration.Binding;

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

            if (!context.ProviderTypes.Contains(provider.Type))
            {
                context.Error($"{path}.type", $"unknown provider type '{provider.Type}'{Suggestions.DidYouMean(provider.Type, context.ProviderTypes)}; known types: {string.Join(", ", context.ProviderTypes.Order(StringComparer.Ordinal))}");
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

            if (provider.Type == "openai_compatible" && provider.BaseUrl is null)
            {
                context.Error(path, "missing required key 'base_url' (the server's OpenAI-compatible API root, such as http://127.0.0.1:11434/v1)");
            }

            if (provider.Type == "openai" && string.IsNullOrEmpty(provider.ApiKey) && !context.IsWritten($"{path}.api_key"))
            {
                context.Error(path, "missing required key 'api_key' (write api_key: ${OPENAI_API_KEY})");
            }

            if (provider.Type != "mock" && provider.Latency is not null)
            {
                context.Error($"{path}.latency", "only the mock provider takes a latency");
            }
        }
    }
}
