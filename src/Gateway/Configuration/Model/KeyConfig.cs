using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record KeyConfig
{
    [Description("The key itself (use ${ENV_VAR}) or its hash as sha256:<64 hex digits>.")]
    [Secret]
    public required string Key { get; init; }

    [Description("A name for the key in traces and reports; defaults to a short hash.")]
    public string? Name { get; init; }

    [Description("The user the key belongs to.")]
    public required string User { get; init; }

    [Description("Groups the user belongs to.")]
    public IReadOnlyList<string> Groups { get; init; } = [];

    [Description("Endpoints this key may call; absent means all.")]
    public IReadOnlyList<string>? Endpoints { get; init; }

    [Description("user: call endpoints; finance: also read usage; admin: also the admin API.")]
    [AllowedValues("user", "finance", "admin")]
    public string Role { get; init; } = "user";

    [Description("Limits for this key alone.")]
    public IReadOnlyList<LimitConfig> Limits { get; init; } = [];
}
