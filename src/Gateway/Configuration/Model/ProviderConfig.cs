using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record ProviderConfig
{
    [Description("Provider kind: openai, azure_openai, anthropic, gemini, openai_compatible or a preset (mistral, groq, together, deepseek, fireworks, openrouter, ollama, vllm, lmstudio), mock.")]
    public required string Type { get; init; }

    [Description("Base URL of the provider's API, such as https://api.openai.com/v1.")]
    public string? BaseUrl { get; init; }

    [Description("The provider's API key; use ${ENV_VAR} rather than writing it here.")]
    [Secret]
    public string? ApiKey { get; init; }

    [Description("azure_openai: a Microsoft Entra ID access token, sent as Authorization: Bearer instead of api_key's api-key header.")]
    [Secret]
    public string? BearerToken { get; init; }

    [Description("azure_openai: the api-version query parameter (default 2024-10-21); anthropic: the anthropic-version header (default 2023-06-01); gemini: the API version in the path (default v1, as the official SDKs use; v1beta for preview features).")]
    public string? ApiVersion { get; init; }

    [Description("Extra headers sent with every upstream request (values are treated as secrets).")]
    [Secret]
    public IReadOnlyDictionary<string, string> Headers { get; init; } = GatewayConfig.Empty<string>();

    [Description("mock only: added delay before the response starts, such as 50ms.")]
    public TimeSpan? Latency { get; init; }
}
