using Gateway.Configuration.Model;

namespace Gateway.RateLimiting;

/// <summary>One limit as it applies to a caller: whose it is, what it counts and its counter's key.</summary>
/// <param name="Scope">endpoint, user, group or key.</param>
/// <param name="Subject">The endpoint, user, group or key the limit counts.</param>
/// <param name="Endpoint">For limits set on an endpoint: the endpoint (also when they count per user, group or key there).</param>
/// <param name="Amount">Requests, tokens or nano-USD per window.</param>
internal sealed record AppliedLimit(string Key, string Scope, string Subject, string? Endpoint, LimitKind Kind, long Amount, RateWindow Window)
{
    /// <summary>"user 'alice' on endpoint 'chat'": how errors and the limits API name the limit.</summary>
    public string Describe() => Endpoint is null || Scope == "endpoint"
        ? $"{Scope} '{Subject}'"
        : $"{Scope} '{Subject}' on endpoint '{Endpoint}'";

    /// <summary>The limit as written in gateway.yaml: 60 requests, 200000 tokens, $5.00.</summary>
    public string DescribeAmount() => Kind switch
    {
        LimitKind.Cost => "$" + (Amount / (decimal)LimitKinds.NanoUsdPerUsd).ToString("0.00####", System.Globalization.CultureInfo.InvariantCulture),
        _ => $"{Amount} {Kind.Name()}",
    };

    public string DescribeWindow() => Window.IsCalendarMonth ? "calendar month" : Window.ToString();
}

/// <summary>Every limit that applies to one caller on one endpoint, and what they need to know of a request.</summary>
internal sealed class AppliedLimits(AppliedLimit[] limits, ModelPrice? reservationPrice)
{
    public static AppliedLimits None { get; } = new([], null);

    public AppliedLimit[] Limits { get; } = limits;

    public bool CountsTokens { get; } = limits.Any(l => l.Kind == LimitKind.Tokens);

    public bool CountsCost { get; } = limits.Any(l => l.Kind == LimitKind.Cost);

    /// <summary>Token or cost limits: the request's tokens are estimated before the call and settled after it.</summary>
    public bool NeedsUsage => CountsTokens || CountsCost;

    /// <summary>The dearest price among the endpoint's targets: cost is reserved as if the dearest one answers.</summary>
    public ModelPrice? ReservationPrice { get; } = reservationPrice;
}
