using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gateway.RateLimiting;

/// <summary>
/// OpenAI's rate-limit headers, for the tightest gateway limit of each kind: x-ratelimit-limit-requests,
/// x-ratelimit-remaining-requests, x-ratelimit-reset-requests and the -tokens trio. Written as the response starts,
/// so they replace whatever an upstream sent: those described the gateway's provider account, not the caller.
/// </summary>
internal static class RateLimitHeaders
{
    private const string Prefix = "x-ratelimit-";

    public static void Register(HttpResponse response, LimitLease lease)
    {
        if (lease.HasLimits)
        {
            response.OnStarting(static state =>
            {
                var (response, lease) = ((HttpResponse, LimitLease))state;
                Write(response.Headers, lease);
                return Task.CompletedTask;
            }, (response, lease));
        }
    }

    public static void Write(IHeaderDictionary headers, LimitLease lease)
    {
        foreach (var name in headers.Keys.Where(k => k.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            headers.Remove(name);
        }

        Write(headers, lease, LimitKind.Requests, "requests");
        Write(headers, lease, LimitKind.Tokens, "tokens");
    }

    private static void Write(IHeaderDictionary headers, LimitLease lease, LimitKind kind, string suffix)
    {
        if (lease.TryGetTightest(kind, out var limit, out var remaining, out var resetMs))
        {
            headers[Prefix + "limit-" + suffix] = limit.Amount.ToString(CultureInfo.InvariantCulture);
            headers[Prefix + "remaining-" + suffix] = remaining.ToString(CultureInfo.InvariantCulture);
            headers[Prefix + "reset-" + suffix] = FormatDuration(resetMs);
        }
    }

    /// <summary>A duration as OpenAI writes one (Go's format): 0s, 250ms, 1.5s, 6m0s, 1h2m3s.</summary>
    public static string FormatDuration(long milliseconds)
    {
        if (milliseconds <= 0)
        {
            return "0s";
        }

        if (milliseconds < 1000)
        {
            return milliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var text = new StringBuilder();
        var hours = milliseconds / 3_600_000;
        var minutes = milliseconds / 60_000 % 60;
        var seconds = milliseconds % 60_000 / 1000m;
        if (hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (hours > 0 || minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{minutes}m");
        }

        return text.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s').ToString();
    }
}
