using Gateway.Configuration.Model;
using Gateway.RateLimiting;
using Gateway.Tests.Configuration;

namespace Gateway.Tests.RateLimiting;

public sealed class RateLimitUnitTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_723_000, "1h2m3s")]
    [InlineData(86_400_000, "24h0m0s")]
    public void Reset_durations_are_written_the_way_OpenAI_writes_them(long milliseconds, string expected) =>
        Assert.Equal(expected, RateLimitHeaders.FormatDuration(milliseconds));

    [Fact]
    public void A_sliding_window_covers_the_whole_window_plus_at_most_one_bucket()
    {
        var window = new RateWindow(TimeSpan.FromMinutes(1), IsCalendarMonth: false);
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, 400, TimeSpan.Zero);
        var slot = WindowSlot.At(window, now);

        Assert.Equal(1000, slot.BucketMs);
        Assert.Equal(600, slot.MsToBucketEnd);
        Assert.InRange(slot.MsUntilReset, 60_000, 61_000);
    }

    [Fact]
    public void A_calendar_month_ends_at_the_first_of_the_next_month()
    {
        var month = new RateWindow(TimeSpan.Zero, IsCalendarMonth: true);
        var slot = WindowSlot.At(month, new DateTimeOffset(2026, 2, 28, 23, 0, 0, TimeSpan.Zero));

        Assert.Equal(3_600_000, slot.MsUntilReset);
        Assert.Equal(0, slot.Span);
        Assert.NotEqual(slot.Bucket, WindowSlot.At(month, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)).Bucket);
    }

    [Fact]
    public void Bad_limits_are_reported_with_their_place_and_what_is_wrong()
    {
        var result = ConfigValidationTests.Parse("""
            server: { listen: http://127.0.0.1:8080 }
            providers:
              demo: { type: mock }
            endpoints:
              chat:
                targets: [ { provider: demo, model: m } ]
                limits:
                  - { per: user, requests: 10, window: 1m }
                  - { per: user, requests: 20, window: 1m }
                  - { tokens: 5, window: 500ms }
            keys:
              - { key: gw-alice-0123456789abcdef, user: alice }
            users:
              alcie: { limits: [ { requests: 1, window: 1h } ] }
            rate_limits: { store: "redis://127.0.0.1:6379", key_prefix: "{bad}", timeout: 10s, replicas: 0 }
            """);

        var errors = string.Join("\n", result.FormattedErrors);
        Assert.Contains("endpoints.chat.limits[1].requests: endpoints.chat.limits[0] already limits requests per user over 1m; merge the two", errors);
        Assert.Contains("endpoints.chat.limits[2].window: 500ms is outside 1s to 31d; use 'month' for a calendar month", errors);
        Assert.Contains("users.alcie: no key belongs to user 'alcie' (did you mean 'alice'?)", errors);
        Assert.Contains("rate_limits.key_prefix: must be 1 to 64 characters without '{' or '}'", errors);
        Assert.Contains("rate_limits.timeout: must be at most 5s", errors);
        Assert.Contains("rate_limits.replicas: must be between 1 and 10000", errors);
        Assert.Contains("gateway.yaml:9:", errors);
    }
}
