using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record ProviderConfig
{
    [Description("Provider kind: openai, azure_openai, anthropic, gemini, bedrock, openai_compatible or a preset (mistral, groq, together, deepseek, fireworks, openrouter, ollama, vllm, lmstudio), mock.")]
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

    [Description("bedrock: the AWS region, such as us-east-1; also the region requests are signed for.")]
    public string? Region { get; init; }

    [Description("bedrock: an AWS access key id for Signature V4; without one (and without api_key) the AWS default credential chain is used.")]
    [Secret]
    public string? AwsAccessKeyId { get; init; }

    [Description("bedrock: the secret access key that goes with aws_access_key_id.")]
    [Secret]
    public string? AwsSecretAccessKey { get; init; }

    [Description("bedrock: a session token, for temporary credentials.")]
    [Secret]
    public string? AwsSessionToken { get; init; }

    [Description("Extra headers sent with every upstream request (values are treated as secrets).")]
    [Secret]
    public IReadOnlyDictionary<string, string> Headers { get; init; } = GatewayConfig.Empty<string>();

    [Description("OpenAI-wire providers: ask for usage in streamed answers (stream_options.include_usage) when the caller did not, and keep that chunk from the caller. Turn off for a server that rejects stream_options; its stream usage is then estimated.")]
    public bool StreamUsage { get; init; } = true;

    [Description("mock only: added delay before the response starts, such as 50ms.")]
    public TimeSpan? Latency { get; init; }

    [Description("When to stop sending to one of this provider's models for a while after it keeps failing.")]
    public CircuitBreakerConfig CircuitBreaker { get; init; } = new();
}

internal sealed record CircuitBreakerConfig
{
    [Description("false: never skip this provider's models, however they fail.")]
    public bool Enabled { get; init; } = true;

    [Description("Share of failed calls within sampling_duration that opens the circuit, such as 0.5.")]
    public double FailureRatio { get; init; } = 0.5;

    [Description("Calls within sampling_duration before the ratio counts.")]
    public int MinimumThroughput { get; init; } = 5;

    [Description("The window failures are counted over.")]
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    [Description("How long an open circuit skips the target before one probe call is let through.")]
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);
}
