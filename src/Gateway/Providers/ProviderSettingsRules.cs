using System.Text.RegularExpressions;
using Gateway.Configuration.Model;
using Gateway.Configuration.Validation;
using Gateway.Providers.Anthropic;
using Gateway.Providers.AzureOpenAi;
using Gateway.Providers.Bedrock;
using Gateway.Providers.Gemini;
using Gateway.Providers.Mock;
using Gateway.Providers.OpenAi;

namespace Gateway.Providers;

/// <summary>
/// Each provider type's own rules for its settings (presets' base URLs and keys, Azure's credentials and API
/// version, Anthropic's and Gemini's keys, Bedrock's region and AWS credentials, the mock's latency), for the
/// config validator, which knows no provider by name.
/// </summary>
internal sealed partial class ProviderSettingsRules : IProviderRules
{
    public static readonly ProviderSettingsRules Instance = new();

    private ProviderSettingsRules()
    {
    }

    public IReadOnlyCollection<string> Types => ProviderRegistry.KnownTypes;

    public string? Unsupported(string providerName, string providerType, string endpointType) => providerType switch
    {
        AnthropicDialect.ProviderType or BedrockDialect.ProviderType when endpointType != "chat" => $"provider '{providerName}' ({providerType}) serves chat only, not {endpointType} endpoints",
        GeminiDialect.ProviderType when endpointType == "completions" => $"provider '{providerName}' (gemini) serves chat and embeddings, not completions endpoints",
        _ => null,
    };

    public void Validate(ConfigValidationContext context, string path, ProviderConfig provider)
    {
        if (OpenAiPresets.All.TryGetValue(provider.Type, out var preset))
        {
            if (preset.DefaultBaseUrl is null && provider.BaseUrl is null)
            {
                context.Error(path, "missing required key 'base_url' (the server's OpenAI-compatible API root, such as http://127.0.0.1:11434/v1)");
            }

            if (preset.NeedsKey && string.IsNullOrEmpty(provider.ApiKey) && !context.IsWritten($"{path}.api_key"))
            {
                context.Error(path, $"missing required key 'api_key' (write api_key: ${{{preset.KeyVariable}}})");
            }
        }

        if (provider.Type == AzureOpenAiProviderFactory.Type)
        {
            ValidateAzure(context, path, provider);
        }
        else
        {
            if (provider.BearerToken is not null)
            {
                context.Error($"{path}.bearer_token", "only azure_openai takes a bearer_token; other providers take api_key");
            }

            if (provider.ApiVersion is not null && provider.Type != AnthropicDialect.ProviderType && provider.Type != GeminiDialect.ProviderType)
            {
                context.Error($"{path}.api_version", "only azure_openai, anthropic and gemini take an api_version");
            }
        }

        if (provider.Type == AnthropicDialect.ProviderType && string.IsNullOrEmpty(provider.ApiKey) && !context.IsWritten($"{path}.api_key"))
        {
            context.Error(path, "missing required key 'api_key' (write api_key: ${ANTHROPIC_API_KEY})");
        }

        ValidateAws(context, path, provider);
        if (provider.Type == GeminiDialect.ProviderType && string.IsNullOrEmpty(provider.ApiKey) && !context.IsWritten($"{path}.api_key"))
        {
            context.Error(path, "missing required key 'api_key' (write api_key: ${GEMINI_API_KEY})");
        }

        if (provider.Type != MockProviderFactory.Type && provider.Latency is not null)
        {
            context.Error($"{path}.latency", "only the mock provider takes a latency");
        }
    }

    /// <summary>bedrock: a region always; a Bedrock API key or an access key pair or neither (the default chain), never both kinds.</summary>
    private static void ValidateAws(ConfigValidationContext context, string path, ProviderConfig provider)
    {
        if (provider.Type != BedrockDialect.ProviderType)
        {
            foreach (var (key, value) in new[] { ("region", provider.Region), ("aws_access_key_id", provider.AwsAccessKeyId), ("aws_secret_access_key", provider.AwsSecretAccessKey), ("aws_session_token", provider.AwsSessionToken) })
            {
                if (value is not null)
                {
                    context.Error($"{path}.{key}", $"only bedrock takes {key}");
                }
            }

            return;
        }

        if (provider.Region is null)
        {
            context.Error(path, "missing required key 'region' (the AWS region, such as us-east-1)");
        }
        else if (!AwsRegionPattern().IsMatch(provider.Region))
        {
            context.Error($"{path}.region", $"'{provider.Region}' is not an AWS region (such as us-east-1 or eu-central-1)");
        }

        var hasKeyId = provider.AwsAccessKeyId is not null || context.IsWritten($"{path}.aws_access_key_id");
        var hasSecret = provider.AwsSecretAccessKey is not null || context.IsWritten($"{path}.aws_secret_access_key");
        if (hasKeyId != hasSecret)
        {
            context.Error(path, hasKeyId
                ? "missing required key 'aws_secret_access_key' (it goes with aws_access_key_id)"
                : "missing required key 'aws_access_key_id' (it goes with aws_secret_access_key)");
        }

        if (provider.AwsSessionToken is not null && !hasKeyId)
        {
            context.Error($"{path}.aws_session_token", "a session token goes with aws_access_key_id and aws_secret_access_key");
        }

        if (hasKeyId && (provider.ApiKey is not null || context.IsWritten($"{path}.api_key")))
        {
            context.Error($"{path}.api_key", "give either api_key (a Bedrock API key) or aws_access_key_id and aws_secret_access_key, not both");
        }
    }

    [GeneratedRegex(@"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")]
    private static partial Regex AwsRegionPattern();

    private static void ValidateAzure(ConfigValidationContext context, string path, ProviderConfig provider)
    {
        if (provider.BaseUrl is null)
        {
            context.Error(path, "missing required key 'base_url' (the resource endpoint, such as https://my-resource.openai.azure.com)");
        }

        var hasKey = !string.IsNullOrEmpty(provider.ApiKey) || context.IsWritten($"{path}.api_key");
        var hasToken = !string.IsNullOrEmpty(provider.BearerToken) || context.IsWritten($"{path}.bearer_token");
        if (hasKey && hasToken)
        {
            context.Error($"{path}.bearer_token", "give either api_key or bearer_token, not both");
        }
        else if (!hasKey && !hasToken)
        {
            context.Error(path, "missing required key 'api_key' (write api_key: ${AZURE_OPENAI_API_KEY}, or bearer_token: ${AZURE_OPENAI_TOKEN} for Microsoft Entra ID)");
        }

        if (provider.ApiVersion is { } version && !ApiVersionPattern().IsMatch(version))
        {
            context.Error($"{path}.api_version", $"'{version}' is not an Azure OpenAI API version (a date such as 2024-10-21, optionally with -preview)");
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$")]
    private static partial Regex ApiVersionPattern();
}
