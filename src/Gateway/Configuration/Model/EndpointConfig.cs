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

    [Description("user: keep each user on the same split target (a stable hash of the user), so conversations don't change model.")]
    [AllowedValues("user")]
    public string? Sticky { get; init; }

    [Description("Targets tried in order when the chosen one fails with a condition in fallback_on.")]
    public IReadOnlyList<TargetConfig> Fallbacks { get; init; } = [];

    [Description("What moves a request to the next target: HTTP statuses, timeout, connection, context_length, content_policy.")]
    public IReadOnlyList<string> FallbackOn { get; init; } = ["429", "500", "502", "503", "504", "timeout", "connection"];

    [Description("After the fallbacks, try the endpoint's other split targets too.")]
    public bool FallbackToTargets { get; init; }

    [Description("Targets tried instead of 'fallbacks' when a provider says the prompt is too long (larger-context models).")]
    public IReadOnlyList<TargetConfig> ContextLengthFallbacks { get; init; } = [];

    [Description("Targets tried instead of 'fallbacks' when a provider refuses the content under its policy.")]
    public IReadOnlyList<TargetConfig> ContentPolicyFallbacks { get; init; } = [];

    [Description("How long the upstream may stay silent (before the response starts and between stream chunks) before 504; timeouts.first_byte and timeouts.idle override it.")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    [Description("Connect, time-to-first-byte and idle-between-chunks timeouts for this endpoint's calls; a target's own timeouts override them.")]
    public TimeoutsConfig? Timeouts { get; init; }

    [Description("The longest a request may take, retries and fallbacks included, until its answer starts.")]
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(5);

    [Description("max_tokens sent to providers that require one (anthropic) when the caller sends none; default 4096.")]
    public int? DefaultMaxTokens { get; init; }

    [Description("Translated providers (anthropic, gemini, bedrock): drop request parameters the provider can't honour, such as seed or logprobs, instead of answering 400.")]
    public bool DropUnsupportedParams { get; init; }

    [Description("Retries per target.")]
    public RetryConfig? Retry { get; init; }

    [Description("Rate limits for this endpoint.")]
    public IReadOnlyList<LimitConfig> Limits { get; init; } = [];

    [Description("Body capture in this endpoint's traces, overriding tracking.capture: none, preview or full.")]
    [AllowedValues("none", "preview", "full")]
    public string? Capture { get; init; }

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

    [Description("Timeouts for this target alone, overriding the endpoint's.")]
    public TimeoutsConfig? Timeouts { get; init; }
}

internal sealed record TimeoutsConfig
{
    [Description("How long opening a connection to the provider may take.")]
    public TimeSpan? Connect { get; init; }

    [Description("How long the provider may take to start its answer (response headers).")]
    public TimeSpan? FirstByte { get; init; }

    [Description("How long a streaming answer may pause between chunks.")]
    public TimeSpan? Idle { get; init; }
}

internal sealed record RetryConfig
{
    [Description("Attempts per target, the first included.")]
    public int Attempts { get; init; } = 1;

    [Description("What is retried: HTTP status codes and/or 'timeout', 'connection'.")]
    public IReadOnlyList<string> On { get; init; } = ["429", "500", "502", "503", "504", "timeout", "connection"];

    [Description("The first retry's delay; each later one doubles, with jitter.")]
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(250);

    [Description("The longest delay between two attempts.")]
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    [Description("A provider's Retry-After is honoured up to this; a longer wait moves on to the fallbacks instead.")]
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(10);
}
