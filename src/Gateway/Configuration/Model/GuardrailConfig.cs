using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record GuardrailConfig
{
    [Description("Entity types to detect.")]
    public IReadOnlyList<string> Entities { get; init; } = [];

    [Description("What to do with a finding.")]
    [AllowedValues("mask", "redact", "block", "log")]
    public string Action { get; init; } = "mask";

    [Description("Which way the guardrail looks.")]
    [AllowedValues("request", "response", "both")]
    public string Direction { get; init; } = "both";

    [Description("mask only: put the original values back in the response.")]
    public bool Restore { get; init; } = true;

    [Description("Admin-defined patterns, reported as CUSTOM findings.")]
    public IReadOnlyList<CustomPatternConfig> Patterns { get; init; } = [];
}

internal sealed record CustomPatternConfig
{
    [Description("Entity name reported for a match.")]
    public required string Name { get; init; }

    [Description(".NET regular expression.")]
    public required string Regex { get; init; }

    [Description("Words near a match that raise confidence.")]
    public IReadOnlyList<string> Context { get; init; } = [];
}

internal sealed record ModelPrice
{
    [Description("USD per 1M input (prompt) tokens.")]
    public decimal Input { get; init; }

    [Description("USD per 1M output (completion) tokens.")]
    public decimal Output { get; init; }

    [Description("USD per 1M cached input tokens; defaults to the input price.")]
    public decimal? CachedInput { get; init; }
}

internal sealed record RateLimitsConfig
{
    [Description("redis://host:port for limits shared by replicas; memory for per-replica limits.")]
    [Secret(OnlyUserInfo = true)]
    public string Store { get; init; } = "memory";

    [Description("When the store is unreachable: allow (local fallback limits) or deny (503).")]
    [AllowedValues("allow", "deny")]
    public string OnStoreDown { get; init; } = "allow";
}

internal sealed record TrackingConfig
{
    [Description("sqlite:<path> (default) or postgres://… for many replicas.")]
    [Secret(OnlyUserInfo = true)]
    public string Store { get; init; } = "sqlite:gateway.db";

    [Description("How much of request and response bodies traces keep.")]
    [AllowedValues("none", "preview", "full")]
    public string Capture { get; init; } = "preview";

    [Description("OTLP endpoint to export traces to, or null.")]
    public string? Otlp { get; init; }
}
