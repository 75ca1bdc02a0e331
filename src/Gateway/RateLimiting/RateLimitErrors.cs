using System.Globalization;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace Gateway.RateLimiting;

/// <summary>The errors the limits answer with: OpenAI's 429 shape, and the 503 when the shared store is down and the policy denies.</summary>
internal static class RateLimitErrors
{
    /// <summary>A gateway rate limit refused the request: OpenAI's 429, naming the caller's own limit and never others' usage.</summary>
    public static GatewayError RateLimited(AppliedLimit limit, long requested, TimeSpan? retryAfter)
    {
        var per = $"{limit.Kind.Name()} per {limit.DescribeWindow()} on {limit.Describe()}";
        if (retryAfter is not { } wait)
        {
            var asked = limit.Kind == LimitKind.Cost
                ? "an estimated $" + (requested / (decimal)LimitKinds.NanoUsdPerUsd).ToString("0.00####", CultureInfo.InvariantCulture)
                : $"{requested} {limit.Kind.Name()} (the prompt plus max_tokens)";
            return new(StatusCodes.Status429TooManyRequests, limit.Kind.Name(), "rate_limit_exceeded", null,
                $"Request too large for {per}: limit {limit.DescribeAmount()}, requested {asked}. Send a shorter prompt or a smaller max_tokens.");
        }

        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        return new(StatusCodes.Status429TooManyRequests, limit.Kind.Name(), "rate_limit_exceeded", null,
            $"Rate limit reached for {per}: limit {limit.DescribeAmount()}. Please try again in {RateLimitHeaders.FormatDuration((long)Math.Ceiling(wait.TotalMilliseconds))}.")
        {
            Headers =
            [
                new("retry-after", seconds.ToString(CultureInfo.InvariantCulture)),
                new("retry-after-ms", ((long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)),
            ],
        };
    }

    public static GatewayError RateLimitStoreUnavailable(string reason) => new(StatusCodes.Status503ServiceUnavailable, "server_error", "rate_limit_store_unavailable", null,
        $"Rate limits could not be checked: the shared limit store did not answer ({reason}) and rate_limits.on_store_down is deny. Try again shortly.")
    {
        Headers = [new("retry-after", "1")],
    };
}
