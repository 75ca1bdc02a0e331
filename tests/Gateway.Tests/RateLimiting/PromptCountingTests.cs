using System.Text;
using System.Text.Json;
using Gateway.RateLimiting;
using Gateway.Tracking;

namespace Gateway.Tests.RateLimiting;

/// <summary>The limiter's prompt count: exact up to its budget of text, extrapolated past it.</summary>
public sealed class PromptCountingTests
{
    private static byte[] Chat(int turns)
    {
        string[] turnsText =
        [
            "The quarterly review went well: revenue grew 12% in every region, and the board asked for a summary.",
            "def total(xs):\n    return sum(x * 1.2 for x in xs if x > 0)  # apply the uplift",
            "Zürich, München and Kraków reported a combined 3,481 orders; see ticket #48213 for details.",
        ];
        var messages = Enumerable.Range(0, turns).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = string.Concat(Enumerable.Repeat(turnsText[i % 3], 20)) });
        return JsonSerializer.SerializeToUtf8Bytes(new { model = "chat", messages });
    }

    [Fact]
    public void A_prompt_within_the_budget_is_counted_exactly()
    {
        var body = Chat(10);

        Assert.Equal(TokenCounter.Shared.CountPrompt(body, "chat"), TokenCounter.Shared.CountPrompt(body, "chat", GatewayRateLimiter.ExactlyCountedChars));
    }

    [Fact]
    public void One_string_larger_than_the_budget_is_counted_up_to_it_and_extrapolated()
    {
        var text = string.Concat(Enumerable.Repeat("The quarterly review went well: revenue grew 12% in every region. ", 16_000)); // ~1 MB
        var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "chat", messages = new[] { new { role = "user", content = text } } });

        var exact = TokenCounter.Shared.CountPrompt(body, "chat");
        var bounded = TokenCounter.Shared.CountPrompt(body, "chat", GatewayRateLimiter.ExactlyCountedChars);

        Assert.InRange((double)bounded / exact, 0.97, 1.05);
    }

    [Fact]
    public void A_prompt_past_the_budget_is_extrapolated_within_a_few_percent()
    {
        var body = Chat(600); // about 800 KB of mixed prose, code and non-ASCII text
        Assert.True(body.Length > 10 * GatewayRateLimiter.ExactlyCountedChars);

        var exact = TokenCounter.Shared.CountPrompt(body, "chat");
        var bounded = TokenCounter.Shared.CountPrompt(body, "chat", GatewayRateLimiter.ExactlyCountedChars);

        Assert.InRange((double)bounded / exact, 0.97, 1.05);
    }
}
