using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record LimitConfig
{
    [Description("Under an endpoint, whom the limit counts: the endpoint as a whole (default), or each user, group or key on it separately. Implied elsewhere.")]
    [AllowedValues("endpoint", "user", "group", "key")]
    public string? Per { get; init; }

    [Description("Requests allowed per window.")]
    public long? Requests { get; init; }

    [Description("Tokens (prompt + completion) allowed per window.")]
    public long? Tokens { get; init; }

    [Description("Cost in USD allowed per window, from the pricing table.")]
    public decimal? Cost { get; init; }

    [Description("Window length: 1s, 1m, 1h, 1d, or month (calendar month).")]
    public required RateWindow Window { get; init; }
}

internal sealed record UserConfig
{
    [Description("Limits on the user, over all of their keys and endpoints.")]
    public IReadOnlyList<LimitConfig> Limits { get; init; } = [];
}

internal sealed record GroupConfig
{
    [Description("Limits shared by the group's members.")]
    public IReadOnlyList<LimitConfig> Limits { get; init; } = [];
}
