using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record EndpointConfig
{
    [Description("What the endpoint serves: chat, completions or embeddings.")]
    [AllowedValues("chat", "completions", "embeddings")]
    public string Type { get; init; } = "chat";

    [Description("Targets sharing the traffic by weight.")]
    public IReadOnlyList<TargetConfig> Targets { get; init; } = [];

    [Description("Targets tried in order when the chosen one fails.")]
    public IReadOnlyList<TargetConfig> Fallbacks { get; init; } = [];

    [Description("How long the upstream may stay silent (before the response starts and between stream chunks) before 504.")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    [Description("max_tokens sent to providers that require one (anthropic) when the caller sends none; default 4096.")]
    public int? DefaultMaxTokens { get; init; }

    [Description("Translated providers (anthropic, gemini, bedrock): drop request parameters the provider can't honour, such as seed or logprobs, instead of answering 400.")]
    public bool DropUnsupportedParams { get; init; }

    [Description("Retries per target.")]
    public RetryConfig? Retry { get; init; }

    [Description("Rate limits for this endpoint.")]
    public IReadOnlyList<LimitConfig> Limits { get; init; } = [];

    [Description("Names of guardrails (from the top-level guardrails section) applied to this endpoint.")]
    public IReadOnlyList<string> Guardrails { get; init; } = [];
}

internal sealed record TargetConfig
{
    [Description("Name of a provider from the providers section.")]
    public required string Provider { get; init; }

    [Description("The model name the provider knows.")]
    public required string Model { get; init; }

    [Description("Share of the traffic, relative to the other targets' weights.")]
    public double Weight { get; init; } = 1;
}

internal sealed record RetryConfig
{
    [Description("Attempts per target, the first included.")]
    public int Attempts { get; init; } = 1;

    [Description("What is retried: HTTP status codes and/or 'timeout', 'connection'.")]
    public IReadOnlyList<string> On { get; init; } = ["429", "500", "502", "503", "504", "timeout", "connection"];
}
