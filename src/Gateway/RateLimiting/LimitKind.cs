namespace Gateway.RateLimiting;

/// <summary>What a limit counts. Every amount is a whole number: requests, tokens, or nano-USD of cost.</summary>
internal enum LimitKind
{
    Requests,
    Tokens,
    Cost,
}

internal static class LimitKinds
{
    public static string Name(this LimitKind kind) => kind switch
    {
        LimitKind.Requests => "requests",
        LimitKind.Tokens => "tokens",
        _ => "cost",
    };

    public const long NanoUsdPerUsd = 1_000_000_000;
}
